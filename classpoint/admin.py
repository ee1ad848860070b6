from django.contrib import admin, messages

from .admin_base import ReadOnlyAdmin
from .models import AuditLog, FeatureFlag, OutboxEvent, OutboxTypeStats, WorkerHeartbeat
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
