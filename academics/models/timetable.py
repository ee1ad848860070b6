"""The timetable: who teaches which class what, where and when, and who sits in each slot.

No double-booking is the database's promise, not the views': on PostgreSQL, exclusion constraints
(btree_gist) refuse two overlapping slots on the same weekday of a term for one teacher, one room or
one class group (migration 0002); on SQLite, where writers are serialised, the services check before
they write. Seats in a slot (applicants placed by the registrar, students) are counted under a lock on
the slot row, so concurrent placements never exceed its capacity.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class ScheduleSlot(SchoolScoped):
    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="schedule_slots")
    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="schedule_slots")
    subject = models.CharField(max_length=80)
    teacher = models.ForeignKey(
        "schools.StaffProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="schedule_slots"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    room = models.CharField(max_length=40, blank=True, default="")
    # Seats in this slot; empty means the class group's capacity.
    capacity = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time", "class_group_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=7), name="slot_weekday_valid"),
        ]
        indexes = [
            models.Index(fields=["school", "term", "class_group", "weekday", "start_time"], name="slot_class_idx"),
            models.Index(fields=["school", "term", "teacher", "weekday"], name="slot_teacher_idx"),
        ]

    def __str__(self):
        return f"{self.subject} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class SlotSeat(SchoolScoped):
    """A seat taken in a slot: by an applicant the registrar placed (moved to the student on
    conversion) or by a student."""

    slot = models.ForeignKey(ScheduleSlot, on_delete=models.CASCADE, related_name="seats")
    # The applicant the registrar placed (settings.CLASSPOINT_SEAT_APPLICANT_MODEL, the registrar's
    # Application): named by setting because the registrar is a layer above the timetable.
    application = models.ForeignKey(
        settings.CLASSPOINT_SEAT_APPLICANT_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="seats"
    )
    student = models.ForeignKey(
        "schools.Student", null=True, blank=True, on_delete=models.CASCADE, related_name="seats"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slot_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(student__isnull=False), name="seat_has_an_occupant"
            ),
            models.UniqueConstraint(
                fields=["slot", "application"], condition=Q(application__isnull=False), name="seat_one_per_application"
            ),
            models.UniqueConstraint(
                fields=["slot", "student"], condition=Q(student__isnull=False), name="seat_one_per_student"
            ),
        ]

    def __str__(self):
        return f"seat in {self.slot_id}"
