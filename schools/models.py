"""The tenant (School) and its people. Every row below School carries `school` and is reached from it."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models import Value as V
from django.db.models.functions import Concat, Lower
from django.utils import timezone as dj_timezone
from django_scopes import ScopedManager

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "www",
        "app",
        "static",
        "media",
        "s",
        "login",
        "logout",
        "account",
        "accounts",
        "metrics",
        "health",
        "platform",
        "classpoint",
        "support",
        "help",
        "mail",
        "status",
        "docs",
        "schema",
        "root",
        "system",
        "test",
        "null",
        "none",
        "new",
    }
)


def validate_slug(value):
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            "Use 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(f"“{value}” is reserved; choose another.", code="reserved_slug")


class SchoolScopedQuerySet(models.QuerySet):
    def for_school(self, school):
        return self.filter(school=school)


# The default manager of every school's model is scoped (classpoint/scoping.py): in a request it
# answers only for the request's school, and it refuses a query made before the school is known.
SchoolScopedManager = models.Manager.from_queryset(SchoolScopedQuerySet)


class SchoolScoped(models.Model):
    """Base for tenant data: the school is the first column of every index that lists it."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(school="school", _manager_class=SchoolScopedManager)

    class Meta:
        abstract = True


class School(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    slug = models.CharField(max_length=40, unique=True, validators=[validate_slug])
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    timezone = models.CharField(max_length=64, default="Africa/Lagos")
    currency = models.CharField(max_length=3, default="NGN")
    country = models.CharField(max_length=2, default="NG", help_text="ISO 3166-1 alpha-2; default phone region")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def tzinfo(self):
        import zoneinfo

        return zoneinfo.ZoneInfo(self.timezone)

    def local_now(self):
        return dj_timezone.now().astimezone(self.tzinfo)

    def local_day_start(self, day):
        """The moment a school-local day begins (filters by "from/to" dates use it)."""
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.tzinfo)

    def local_today(self):
        return self.local_now().date()

    # Tenant-data entry points: views and APIs start every query here.
    @property
    def students(self):
        return Student.objects.for_school(self)

    @property
    def guardians(self):
        return Guardian.objects.for_school(self)

    @property
    def class_groups(self):
        return ClassGroup.objects.for_school(self)

    @property
    def terms(self):
        return Term.objects.for_school(self)

    @property
    def sessions(self):
        return AcademicSession.objects.for_school(self)

    @property
    def enrollments(self):
        return Enrollment.objects.for_school(self)

    @property
    def staff(self):
        return StaffProfile.objects.for_school(self)

    @property
    def roles(self):
        return Role.objects.for_school(self)

    @property
    def memberships(self):
        return Membership.objects.filter(school=self)

    def current_term(self):
        return self.terms.filter(is_current=True).select_related("session").first()


def _default_quiet_start():
    return datetime.time(21, 0)


def _default_quiet_end():
    return datetime.time(7, 0)


class SchoolProfile(models.Model):
    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="profile")
    address = models.TextField(blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    website = models.URLField(blank=True, default="")
    logo = models.FileField(upload_to="logos/", blank=True)
    # Messages are held back between these school-local times (the window may cross midnight).
    quiet_hours_start = models.TimeField(default=_default_quiet_start)
    quiet_hours_end = models.TimeField(default=_default_quiet_end)
    # New admission numbers: {YEAR} (the current session's first year), {SEQ} or {SEQ:4} (a per-school
    # gapless counter, zero-padded), {SLUG} (the school's slug, upper-cased).
    admission_number_pattern = models.CharField(max_length=60, default="{YEAR}/{SEQ:4}")
    # An invoice is due on its fee schedule's date, or this many days after it is issued when that
    # date has already passed (fees.dues holds the rule).
    invoice_due_days = models.PositiveSmallIntegerField(
        "days to pay a late-issued invoice",
        default=14,
        validators=[MaxValueValidator(365)],
        help_text="When an invoice is issued after its fee schedule's due date, it falls due this many days "
        "after it is issued.",
    )

    def __str__(self):
        return f"Profile of {self.school}"


hostname_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    "Enter a valid lowercase hostname such as school.example.org.",
)


class SchoolDomain(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="domains")
    hostname = models.CharField(max_length=253, unique=True, validators=[hostname_validator])
    is_primary = models.BooleanField(default=False)
    is_custom = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-is_primary", "hostname"]
        constraints = [
            models.UniqueConstraint(fields=["school"], condition=Q(is_primary=True), name="one_primary_domain"),
        ]

    def __str__(self):
        return self.hostname

    def save(self, *args, **kwargs):
        self.hostname = (self.hostname or "").strip().lower().rstrip(".")
        super().save(*args, **kwargs)


class Role(SchoolScoped):
    """A named set of permission codes (e.g. `fees.manage`), seeded per school on provisioning."""

    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    permissions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "key"], name="role_unique_key_per_school")]

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "school"], name="membership_unique_user_school")]

    def __str__(self):
        return f"{self.user} @ {self.school.slug} ({self.role.key})"

    def has_perm(self, code):
        return code in (self.role.permissions or [])


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


class StaffProfile(SchoolScoped):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_profiles"
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    title = models.CharField(max_length=80, blank=True, default="")  # "Mathematics teacher"
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")
    is_teacher = models.BooleanField(default=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user"], condition=Q(user__isnull=False), name="staff_one_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


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


class Student(SchoolScoped):
    class Gender(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"

    class Status(models.TextChoices):
        # Admitted: an approved applicant with an admission number and an invoice, not yet enrolled.
        ADMITTED = "admitted", "Admitted"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        WITHDRAWN = "withdrawn", "Withdrawn"
        GRADUATED = "graduated", "Graduated"

    admission_number = models.CharField(max_length=40)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    other_names = models.CharField(max_length=120, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Lower-cased names + admission number, computed by the database (so bulk inserts and imports
    # keep it right) and trigram-indexed on PostgreSQL: the students search reads only this.
    search_text = models.GeneratedField(
        expression=Lower(Concat("first_name", V(" "), "other_names", V(" "), "last_name", V(" "), "admission_number")),
        output_field=models.CharField(max_length=400),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "admission_number"], name="student_unique_admission_number"),
        ]
        indexes = [
            models.Index(fields=["school", "last_name", "first_name", "id"], name="student_name_idx"),
            models.Index(fields=["school", "status", "last_name", "first_name", "id"], name="student_status_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.other_names, self.last_name) if p)


class Guardian(SchoolScoped):
    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        EMAIL = "email", "Email"

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    relationship = models.CharField(max_length=40, blank=True, default="")  # "Mother", "Uncle"
    phone = models.CharField(max_length=20, blank=True, default="", help_text="E.164, e.g. +2348031234567")
    email = models.EmailField(blank=True, default="")
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    # What the guardian agreed to receive; messaging checks these before every send.
    consent_sms = models.BooleanField(default=False)
    consent_whatsapp = models.BooleanField(default=False)
    consent_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["school", "phone"], name="guardian_phone_idx"),
            models.Index(fields=["school", "email"], name="guardian_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(phone="") | ~Q(email=""), name="guardian_has_contact"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class StudentGuardian(SchoolScoped):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"], name="student_guardian_unique"),
            models.UniqueConstraint(fields=["student"], condition=Q(is_primary=True), name="one_primary_guardian"),
        ]

    def __str__(self):
        return f"{self.guardian_id} -> {self.student_id}"


class Enrollment(SchoolScoped):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

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


class ImportJob(SchoolScoped):
    """One CSV upload being checked or imported; its counts are kept current while it runs."""

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", "Check only"
        IMPORT = "import", "Import"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_key = models.CharField(max_length=500)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMPORT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True, default="")  # why the file as a whole failed
    total_rows = models.PositiveIntegerField(null=True, blank=True)  # estimated until the end
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    extra_headers = models.JSONField(default=list, blank=True)
    first_errors = models.JSONField(default=list, blank=True)
    errors_key = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=dj_timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "-created_at"], name="importjob_school_idx")]

    def __str__(self):
        return f"Import {self.pk} ({self.file_name})"

    @property
    def is_done(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self):
        if self.is_done:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))
