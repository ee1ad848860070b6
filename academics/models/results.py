"""Results: what is taught and assessed (subjects, who teaches them, a term's assessment components,
the school's grade scale) and what pupils scored.

A score lives in one cell of a teacher's grid: a pupil's row for a subject in a term (`ScoreRow`),
one column per component (`Score`). The row carries a version that every save raises, so two
teachers typing into the same grid never overwrite each other silently: a save made against an older
version is applied only where the cell still holds what that teacher saw, and is otherwise refused
with what changed. Once the school admin locks a class group's term (`ResultsLock`), a score changes
only by an amendment with a reason (`ScoreAmendment`).

What each row totals to, grades and positions are computed (academics/results/compute.py), not
stored: a report card (reports.py) records what was published, when, by whom and a digest of it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class Subject(SchoolScoped):
    class Kind(models.TextChoices):
        CORE = "core", _("Core")
        ELECTIVE = "elective", _("Elective")

    name = models.CharField(max_length=80)  # "Mathematics"
    code = models.CharField(max_length=12, blank=True, default="")  # "MTH"
    # The class level that takes it, as class groups name theirs ("JSS 1").
    level = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CORE)
    # Where it sits on the report card and broadsheet (then by name).
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "position", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["school", "level", "name"], name="subject_unique_per_level")]
        indexes = [models.Index(fields=["school", "level", "is_active"], name="subject_level_idx")]

    def __str__(self):
        return f"{self.name} ({self.level})"


class SubjectTeacher(SchoolScoped):
    """Who teaches a subject to a class group in a term (seeded from the timetable, editable)."""

    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="subject_teachers")
    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="subject_teachers")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="teachers")
    teacher = models.ForeignKey(
        "schools.StaffProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="subjects_taught"
    )
    from_timetable = models.BooleanField(default=False)

    class Meta:
        ordering = ["class_group_id", "subject_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["term", "class_group", "subject"], name="subject_teacher_one_per_class")
        ]
        indexes = [models.Index(fields=["school", "term", "teacher"], name="subject_teacher_staff_idx")]

    def __str__(self):
        return f"{self.subject} to {self.class_group_id} in term {self.term_id}"


class AssessmentComponent(SchoolScoped):
    """One column of every grid in a term: "CA1" out of 10 carrying 10% of the subject total. A
    term's components' weights sum to 100 (services.components_set refuses anything else)."""

    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="assessment_components")
    name = models.CharField(max_length=40)
    max_score = models.DecimalField(max_digits=6, decimal_places=2)
    weight = models.DecimalField(max_digits=5, decimal_places=2)  # percent of the subject total
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["term_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["term", "name"], name="component_unique_name_in_term"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="component_max_positive"),
            models.CheckConstraint(condition=Q(weight__gt=0, weight__lte=100), name="component_weight_in_range"),
        ]

    def __str__(self):
        return f"{self.name} (/{self.max_score:g}, {self.weight:g}%)"


class GradeScale(SchoolScoped):
    """A school's bands from total to grade. Bands cover 0 to 100 at one decimal with no gap and no
    overlap (services refuse anything else), so every total has exactly one grade."""

    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="grade_scale_unique_name")]

    def __str__(self):
        return self.name


class GradeBand(SchoolScoped):
    scale = models.ForeignKey(GradeScale, on_delete=models.CASCADE, related_name="bands")
    letter = models.CharField(max_length=4)  # "A1"
    # Inclusive bounds on a total rounded to one decimal: 75.0 to 100.0, then 70.0 to 74.9...
    min_score = models.DecimalField(max_digits=4, decimal_places=1)
    max_score = models.DecimalField(max_digits=4, decimal_places=1)
    remark = models.CharField(max_length=40, blank=True, default="")  # "Excellent"
    points = models.DecimalField(max_digits=4, decimal_places=2, default=0)

    class Meta:
        ordering = ["scale_id", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "letter"], name="grade_band_unique_letter"),
            models.CheckConstraint(condition=Q(max_score__gte=models.F("min_score")), name="grade_band_ordered"),
        ]

    def __str__(self):
        return f"{self.letter} {self.min_score}-{self.max_score}"


class ResultsPolicy(SchoolScoped):
    """One school's results settings (created with defaults the first time they are read)."""

    grade_scale = models.ForeignKey(GradeScale, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    show_class_position = models.BooleanField(default=True)
    show_subject_position = models.BooleanField(default=True)
    # Withhold a pupil's report card while their family owes more than this (minor units); empty: never.
    withhold_owing_above_minor = models.BigIntegerField(null=True, blank=True)
    # How long a guardian's link to the report cards opens.
    link_days = models.PositiveSmallIntegerField(default=60)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("results policies")
        constraints = [models.UniqueConstraint(fields=["school"], name="results_policy_one_per_school")]

    def __str__(self):
        return f"results policy of school {self.school_id}"


class ScoreRow(SchoolScoped):
    """A pupil's row in a subject's grid for a term; `version` rises with every save."""

    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="score_rows")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="score_rows")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="score_rows")
    # The class the pupil sat in when the row was first saved (a pupil moved mid-term keeps theirs).
    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="score_rows")
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["term_id", "subject_id", "student_id"]
        constraints = [
            models.UniqueConstraint(fields=["term", "subject", "student"], name="score_row_one_per_pupil_subject")
        ]
        indexes = [models.Index(fields=["school", "term", "class_group", "subject"], name="score_row_grid_idx")]

    def __str__(self):
        return f"scores of {self.student_id} in {self.subject_id} (term {self.term_id})"


class Score(SchoolScoped):
    """One cell: a number from 0 to the component's maximum, "ABS" (absent: counts as 0), or not yet."""

    row = models.ForeignKey(ScoreRow, on_delete=models.CASCADE, related_name="scores")
    component = models.ForeignKey(AssessmentComponent, on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    absent = models.BooleanField(default=False)

    class Meta:
        ordering = ["row_id", "component_id"]
        constraints = [
            models.UniqueConstraint(fields=["row", "component"], name="score_one_per_cell"),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="score_not_negative"),
            models.CheckConstraint(condition=Q(absent=False) | Q(value__isnull=True), name="score_absent_has_no_value"),
        ]

    def __str__(self):
        return "ABS" if self.absent else ("" if self.value is None else f"{self.value:g}")


class ResultsLock(SchoolScoped):
    """A class group's scores for a term, locked by the school admin: changes now need an amendment."""

    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="results_locks")
    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="results_locks")
    locked_at = models.DateTimeField(auto_now_add=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "class_group"], name="results_lock_one_per_class")]

    def __str__(self):
        return f"results of {self.class_group_id} locked for term {self.term_id}"


class ScoreAmendment(SchoolScoped):
    """A change to a locked score: what it was, what it became, why and who."""

    row = models.ForeignKey(ScoreRow, on_delete=models.CASCADE, related_name="amendments")
    component = models.ForeignKey(AssessmentComponent, on_delete=models.CASCADE, related_name="amendments")
    old_value = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    old_absent = models.BooleanField(default=False)
    new_value = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    new_absent = models.BooleanField(default=False)
    reason = models.CharField(max_length=200)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-amended_at", "-id"]

    def __str__(self):
        return f"amendment of {self.row_id}/{self.component_id}"
