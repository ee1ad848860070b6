"""The school year and its classes: sessions, terms, class groups, and a student's place in a class each term."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from .people import StaffProfile, Student
from .tenancy import SchoolScoped


class AcademicSession(SchoolScoped):
    name = models.CharField(max_length=40)  # "2026/2027"
    start_date = models.DateField()
    end_date = models.DateField()
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="session_unique_name"),
            models.UniqueConstraint(fields=["school"], condition=Q(is_current=True), name="one_current_session"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="session_dates_ordered"),
        ]

    def __str__(self):
        return self.name


class Term(SchoolScoped):
    session = models.ForeignKey(AcademicSession, on_delete=models.PROTECT, related_name="terms")
    name = models.CharField(max_length=40)  # "First term"
    start_date = models.DateField()
    end_date = models.DateField()
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["session", "name"], name="term_unique_name_in_session"),
            models.UniqueConstraint(fields=["school"], condition=Q(is_current=True), name="one_current_term"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="term_dates_ordered"),
        ]

    def __str__(self):
        return f"{self.name} {self.session.name}" if self.session_id else self.name


class ClassGroup(SchoolScoped):
    name = models.CharField(max_length=40)  # "JSS 1A"
    level = models.CharField(max_length=40)  # "JSS 1"
    capacity = models.PositiveSmallIntegerField(default=40)
    form_teacher = models.ForeignKey(
        StaffProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="form_classes"
    )

    class Meta:
        ordering = ["level", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="classgroup_unique_name")]

    def __str__(self):
        return self.name


class Enrollment(SchoolScoped):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="enrollments")
    class_group = models.ForeignKey(ClassGroup, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=dj_timezone.now)
    # The school days the pupil sat in this class (school-local dates), so a register for a past day
    # lists who was there that day, not who is there now: from `started_on` (empty: the term's first
    # day) until the day before `ended_on` (set when the enrollment ends; empty while it is active).
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # Why it ended ("Moved to JSS 1B", "Withdrawn: relocated", "Promoted"), for the enrolment history.
    end_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "term"], condition=Q(status="active"), name="one_active_enrollment_per_term"
            ),
        ]
        indexes = [models.Index(fields=["school", "term", "class_group", "status"], name="enrollment_class_idx")]

    def __str__(self):
        return f"{self.student} in {self.class_group} ({self.term})"


class Rollover(SchoolScoped):
    """The year-end step from one session into the next: the plan the admin confirmed (class
    mapping, repeaters, leavers) and what it did. One per session rolled from, so a second run finds
    this row and changes nothing."""

    from_session = models.ForeignKey(AcademicSession, on_delete=models.PROTECT, related_name="rollovers_from")
    to_session = models.ForeignKey(AcademicSession, on_delete=models.PROTECT, related_name="rollovers_to")
    # {"mapping": {class_group_id: next_class_group_id | "graduate"}, "repeaters": [...], "leavers": [...]}
    plan = models.JSONField(default=dict, blank=True)
    # Counts of what was done: promoted, repeated, graduated, left, skipped.
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "from_session"], name="rollover_once_per_session"),
        ]

    def __str__(self):
        return f"{self.from_session} → {self.to_session}"
