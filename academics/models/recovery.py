"""Recovery sessions: time a pupil makes up after school or on a Saturday, with a teacher, in a room,
for at most `capacity` pupils (the database and a row lock keep the count, whatever the number of
people assigning at once). Attending credits the session's minutes to the pupil, capped by the
school's yearly limit (AttendancePolicy.recovery_cap_minutes)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class RecoverySession(SchoolScoped):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    location = models.CharField(max_length=80)
    teacher = models.ForeignKey(
        "schools.StaffProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="recovery_sessions"
    )
    capacity = models.PositiveSmallIntegerField(default=25)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="recovery_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="recovery_capacity_positive"),
        ]
        indexes = [models.Index(fields=["school", "date"], name="recovery_school_date_idx")]

    def __str__(self):
        return f"recovery {self.date} {self.start_time:%H:%M} {self.location}"

    @property
    def minutes(self):
        start = self.start_time.hour * 60 + self.start_time.minute
        return self.end_time.hour * 60 + self.end_time.minute - start


class RecoveryAssignment(SchoolScoped):
    """A pupil's seat in a recovery session; `attended` once taken, with the minutes credited (at most
    the session's length, less where the yearly cap is reached)."""

    session = models.ForeignKey(RecoverySession, on_delete=models.CASCADE, related_name="assignments")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="recovery_assignments")
    attended = models.BooleanField(null=True, blank=True)  # None until the session's register is taken
    minutes_credited = models.PositiveIntegerField(default=0)
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["session_id", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "student"], name="recovery_one_seat_per_pupil")]

    def __str__(self):
        return f"{self.student_id} in recovery {self.session_id}"
