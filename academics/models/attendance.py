"""Attendance: registers a teacher takes (a class group's day, or one timetable lesson) and the
mark each pupil gets in them.

The database keeps the promises: one register per class group and day (daily) or per lesson and day,
and one mark per pupil, day and period (the day itself, or one lesson), whatever the number of
teachers pressing submit at once. A mark is one of the school's absence codes; every code belongs to
one of four kinds (present, absent without excuse, excused, late), which is what alerts, rates and
truancy rules count, so a school can add its own codes ("suspension", "school trip") without
teaching any of them something new.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


def weekdays_monday_to_friday():
    return [1, 2, 3, 4, 5]


class AttendancePolicy(SchoolScoped):
    """One school's attendance settings (created with defaults the first time they are read)."""

    class Mode(models.TextChoices):
        DAILY = "daily", _("A daily register per class")
        LESSON = "lesson", _("A register per timetable lesson")
        BOTH = "both", _("Both: a daily register and one per lesson")

    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DAILY)
    # A pupil late by more than this many minutes gets a same-day alert to their guardians.
    late_alert_minutes = models.PositiveSmallIntegerField(default=15)
    # School-local time at which teachers who have not taken today's register are reminded.
    reminder_at = models.TimeField(default="10:00")
    # The ISO weekdays (1 = Monday) the school opens: other days ask for no register.
    school_days = models.JSONField(default=weekdays_monday_to_friday)
    # Truancy (Education Code 48260 by default): a pupil absent without a valid excuse, or late more
    # than `truancy_late_minutes`, on `truancy_days` days of a school year is truant (letter 1); each
    # further such day after that brings the next letter (2, then 3 and a SARB referral).
    truancy_days = models.PositiveSmallIntegerField(default=3)
    truancy_late_minutes = models.PositiveSmallIntegerField(default=30)
    # Whether an absence made up in a recovery session still counts towards truancy.
    recovered_days_count = models.BooleanField(default=False)
    # The most recovery time a pupil may be credited in a school year (10 school days of 6 hours).
    recovery_cap_minutes = models.PositiveIntegerField(default=3600)
    # Aggregates over fewer pupils than this are suppressed, so a figure cannot single out a child.
    min_group_size = models.PositiveSmallIntegerField(default=5)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("attendance policies")
        constraints = [models.UniqueConstraint(fields=["school"], name="attendance_policy_one_per_school")]

    def __str__(self):
        return f"attendance policy of school {self.school_id}"

    @property
    def takes_daily(self):
        return self.mode in (self.Mode.DAILY, self.Mode.BOTH)

    @property
    def takes_lessons(self):
        return self.mode in (self.Mode.LESSON, self.Mode.BOTH)


class AbsenceCode(SchoolScoped):
    """A mark a register can give: the four built in (P, A, E, L), the school's excuse reasons, and
    codes the school adds. `kind` is what every rule counts."""

    class Kind(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent (unexcused)")
        EXCUSED = "excused", _("Excused")
        LATE = "late", _("Late")

    code = models.CharField(max_length=8)  # "P", "A", "E-ILL", "SUS"
    label = models.CharField(max_length=60)  # "Excused: illness"
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The key a teacher presses on the register page for this mark (one character, unique per school).
    key = models.CharField(max_length=1, blank=True, default="")
    # Counts as a day at school for the rate (a school trip, independent study), whatever its kind.
    counts_as_present = models.BooleanField(default=False)
    # Counts towards truancy (an absence without a valid excuse); excused codes never do.
    counts_toward_truancy = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="absence_code_unique"),
            models.UniqueConstraint(fields=["school", "key"], condition=~Q(key=""), name="absence_code_key_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.label}"


class Register(SchoolScoped):
    """One sitting of the register: a class group's day (`slot` empty) or one lesson of the timetable
    on one date. Submitted once, then edited: who submitted and who last changed it are kept."""

    date = models.DateField()
    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT, related_name="registers")
    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="registers")
    slot = models.ForeignKey(
        "academics.ScheduleSlot", null=True, blank=True, on_delete=models.CASCADE, related_name="registers"
    )
    teacher = models.ForeignKey(
        "schools.StaffProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="registers"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date", "class_group_id", "slot_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "class_group", "date"], condition=Q(slot__isnull=True), name="register_one_daily"
            ),
            models.UniqueConstraint(
                fields=["slot", "date"], condition=Q(slot__isnull=False), name="register_one_per_lesson"
            ),
        ]
        indexes = [models.Index(fields=["school", "date"], name="register_school_date_idx")]

    def __str__(self):
        return f"register {self.class_group_id} {self.date}" + (f" slot {self.slot_id}" if self.slot_id else "")

    @property
    def is_submitted(self):
        return self.submitted_at is not None


class AttendanceMark(SchoolScoped):
    """A pupil's mark in one register. `date` and `slot` repeat the register's so the database can
    refuse a second mark for the same pupil, day and period even across two registers."""

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="marks")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="attendance_marks")
    date = models.DateField()
    slot = models.ForeignKey(
        "academics.ScheduleSlot", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.ForeignKey(AbsenceCode, on_delete=models.PROTECT, related_name="marks")
    # Copied from the code when marked: counting a year of marks by kind needs no join.
    kind = models.CharField(max_length=10, choices=AbsenceCode.Kind.choices)
    minutes_late = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, default="")
    marked_at = models.DateTimeField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["register_id", "student_id"]
        constraints = [
            models.UniqueConstraint(fields=["register", "student"], name="mark_one_per_register"),
            models.UniqueConstraint(
                fields=["student", "date"], condition=Q(slot__isnull=True), name="mark_one_daily_per_pupil"
            ),
            models.UniqueConstraint(
                fields=["student", "date", "slot"],
                condition=Q(slot__isnull=False),
                name="mark_one_per_lesson_per_pupil",
            ),
            models.CheckConstraint(
                condition=Q(minutes_late__isnull=True) | Q(kind="late"), name="mark_minutes_only_when_late"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "date", "kind"], name="mark_school_date_kind_idx"),
            models.Index(fields=["school", "student", "date"], name="mark_student_date_idx"),
        ]

    def __str__(self):
        return f"{self.student_id} {self.date} {self.kind}"


class AttendanceDaily(SchoolScoped):
    """The daily sink: one row per class group and school day, counts only (no pupil), written by
    `attendance_daily_aggregate` (idempotent upsert) and read by the summary API for past days.

    A pupil's day counts once: their daily mark when the class has a daily register, else the worst of
    their lesson marks (absent, then excused, late, present). `attended` counts days at school: present
    or late, or a code that counts as present (independent study, a school trip)."""

    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    level = models.CharField(max_length=40)  # the class group's level that day
    on_roll = models.PositiveIntegerField(default=0)  # pupils enrolled in the class that day
    marked = models.PositiveIntegerField(default=0)  # pupils with a mark that day
    present = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("attendance daily figures")
        ordering = ["date", "class_group_id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "class_group", "date"], name="attendance_daily_unique"),
        ]
        indexes = [models.Index(fields=["school", "date"], name="attendance_daily_date_idx")]

    def __str__(self):
        return f"{self.class_group_id} {self.date}: {self.attended}/{self.marked}"
