from django.contrib import admin

from classpoint.admin_base import ReadOnlyAdmin

from .models import ConsentChange, Message, MessageStatusChange, MessageTemplate, ProviderConfig


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
