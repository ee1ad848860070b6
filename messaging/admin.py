from django.contrib import admin
from django.db.models import Count

from classpoint.admin_base import ReadOnlyAdmin

from .models import ConsentChange, GuardianList, Message, MessageStatusChange, MessageTemplate, ProviderConfig


@admin.register(ProviderConfig)
class ProviderConfigAdmin(admin.ModelAdmin):
    """Which provider a school's channel uses: the name of a secret, never the secret itself."""

    list_display = ("school", "channel", "secret_key", "is_active", "rate_per_minute")
    list_filter = ("channel", "is_active")
    list_select_related = ("school",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("school", "type", "channel", "is_active", "updated_at")
    list_filter = ("channel", "type", "is_active")
    list_select_related = ("school",)
    search_fields = ("body", "subject")


class StatusChangeInline(admin.TabularInline):
    model = MessageStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("status", "note", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """Read-only: messages are the log of what was asked for and what happened to it."""

    list_display = ("created_at", "school", "template_type", "channel", "to_address", "status")
    list_filter = ("status", "channel", "template_type")
    search_fields = ("to_address", "provider_message_id")
    list_select_related = ("school",)
    inlines = [StatusChangeInline]


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "school", "guardian", "channel", "granted", "source")
    list_filter = ("channel", "granted", "source")
    list_select_related = ("school", "guardian")


@admin.register(GuardianList)
class GuardianListAdmin(ReadOnlyAdmin):
    """Read-only: staff keep their lists in the workspace, where changes are checked (members of the
    school only, no deleting a list an announcement still waits on) and audited."""

    list_display = ("name", "school", "member_count", "updated_at", "created_at")
    list_select_related = ("school",)
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("guardians", distinct=True))

    @admin.display(description="Guardians", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count
