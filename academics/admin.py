from django.contrib import admin

from classpoint.admin_base import ReadOnlyAdmin

from .models import (
    ReportCard,
    ResultsLock,
    ScheduleSlot,
    ScoreAmendment,
    SisConnection,
    SlotSeat,
    Subject,
    SyncRun,
)


@admin.register(ScheduleSlot)
class ScheduleSlotAdmin(ReadOnlyAdmin):
    """Read-only for platform operators: the timetable changes through the services, which check clashes
    and seats and audit every change (schools edit it in their workspace or over the API)."""

    list_display = (
        "school",
        "term",
        "class_group",
        "subject",
        "teacher",
        "weekday",
        "start_time",
        "end_time",
        "room",
        "capacity",
    )
    list_filter = ("weekday", "school")
    search_fields = ("subject", "room", "class_group__name", "teacher__last_name")
    list_select_related = ("school", "term__session", "class_group", "teacher")


@admin.register(SlotSeat)
class SlotSeatAdmin(ReadOnlyAdmin):
    list_display = ("slot", "application", "student", "school", "created_at")
    list_filter = ("school",)
    search_fields = ("application__reference", "student__admission_number")
    list_select_related = ("school", "slot", "application", "student")


@admin.register(SisConnection)
class SisConnectionAdmin(admin.ModelAdmin):
    """Where platform operators connect a school to its SIS. Credentials are never typed here: the
    connection names a secret (classpoint/{env}/sis/<key>) that the secrets backend resolves."""

    list_display = ("school", "adapter", "base_url", "attendance_direction", "enabled", "last_run")
    list_filter = ("adapter", "enabled", "attendance_direction")
    search_fields = ("school__slug", "school__name", "school_code")
    list_select_related = ("school", "last_run")
    readonly_fields = ("last_run", "certificate_expires_at", "token_expires_at", "created_at", "updated_at")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("school", "adapter", "status", "started_at", "finished_at", "duration_ms", "dry_run")
    list_filter = ("adapter", "status", "dry_run")
    search_fields = ("school__slug",)
    list_select_related = ("school",)


# Results are read-only for platform operators: scores change through the grid's services (versions,
# locks, amendments with reasons, audit), report cards through publishing.


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "level", "kind", "position", "is_active", "school")
    list_filter = ("kind", "is_active", "school")
    search_fields = ("name", "code", "level")
    list_select_related = ("school",)


@admin.register(ResultsLock)
class ResultsLockAdmin(ReadOnlyAdmin):
    list_display = ("school", "term", "class_group", "locked_at", "locked_by")
    list_filter = ("school",)
    list_select_related = ("school", "term__session", "class_group", "locked_by")


@admin.register(ScoreAmendment)
class ScoreAmendmentAdmin(ReadOnlyAdmin):
    list_display = ("school", "row", "component", "old_value", "new_value", "reason", "amended_by", "amended_at")
    list_filter = ("school",)
    search_fields = ("reason", "row__student__admission_number")
    list_select_related = ("school", "row", "component", "amended_by")


@admin.register(ReportCard)
class ReportCardAdmin(ReadOnlyAdmin):
    list_display = ("student", "term", "class_group", "revision", "published_at", "withheld", "school")
    list_filter = ("withheld", "school")
    search_fields = ("student__admission_number", "student__last_name")
    list_select_related = ("school", "student", "term__session", "class_group")
