from django.contrib import admin

from classpoint.admin_base import ReadOnlyAdmin

from .models import ScheduleSlot, SlotSeat


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
