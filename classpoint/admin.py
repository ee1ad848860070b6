from django.contrib import admin, messages
from django.utils import timezone

from .admin_base import ReadOnlyAdmin
from .audit import audit
from .models import ApiToken, AuditLog, FeatureFlag, OutboxEvent, OutboxTypeStats, WorkerHeartbeat
from .outbox import worker

admin.site.site_header = "Classpoint platform"
admin.site.site_title = "Classpoint platform"


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("id", "event_type", "school", "status", "attempts", "created_at", "processed_at")
    list_filter = ("event_type", ("dead_at", admin.EmptyFieldListFilter), ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("event_type", "dedupe_key")
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ["requeue"]
    list_select_related = ("school",)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Requeue selected events (reset attempts)")
    def requeue(self, request, queryset):
        count = queryset.filter(processed_at__isnull=True).update(
            dead_at=None, attempts=0, claimed_at=None, claimed_by=""
        )
        messages.success(request, f"Requeued {count} events.")


@admin.register(OutboxTypeStats)
class OutboxTypeStatsAdmin(admin.ModelAdmin):
    list_display = ("event_type", "processed_total", "failures_total")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "last_seen", "handled_total")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": f"Workers — outbox: {worker.stats()['pending']} pending"}
        return super().changelist_view(request, extra_context)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only, for the admin too."""

    list_display = ("created_at", "school", "actor_label", "action", "target_type", "target_label", "ip_address")
    list_filter = ("action", "school")
    search_fields = ("actor_label", "action", "target_label", "target_id", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("school",)


@admin.register(FeatureFlag)
class FeatureFlagAdmin(admin.ModelAdmin):
    list_display = ("key", "school", "enabled", "description", "updated_at")
    list_filter = ("enabled", "key")
    list_editable = ("enabled",)
    autocomplete_fields = ("school",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by the school's admins (People › API tokens) or `manage.py create_api_token`:
    the key exists only at that moment. Here an operator sees them and can revoke one, nothing else."""

    list_display = ("name", "prefix", "school", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "school__slug", "user__username")
    list_select_related = ("school", "user")
    fields = ("name", "prefix", "school", "user", "service_account", "created_by", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, a token keeps its trail (who made it, when it was last used)

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("school"):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit(
                school=token.school,
                actor=request.user,
                action="api_token.revoked",
                target=token,
                changes={"via": "admin"},
            )
            revoked += 1
        messages.success(request, f"Revoked {revoked} tokens.")
