"""The tenant: a school, its profile and domains, and who may work in it (roles, memberships).

`SchoolScoped` is the base of every row that belongs to one school."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
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
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    slug = models.CharField(max_length=40, unique=True, validators=[validate_slug])
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    timezone = models.CharField(max_length=64, default="Africa/Lagos")
    currency = models.CharField(max_length=3, default="NGN")
    country = models.CharField(max_length=2, default="NG", help_text=_("ISO 3166-1 alpha-2; default phone region"))
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

    # Tenant-data entry points: views and APIs start every query here. (Imported when used: the
    # modules of these models build on SchoolScoped above.)
    @property
    def students(self):
        from .people import Student

        return Student.objects.for_school(self)

    @property
    def guardians(self):
        from .people import Guardian

        return Guardian.objects.for_school(self)

    @property
    def class_groups(self):
        from .calendar import ClassGroup

        return ClassGroup.objects.for_school(self)

    @property
    def terms(self):
        from .calendar import Term

        return Term.objects.for_school(self)

    @property
    def sessions(self):
        from .calendar import AcademicSession

        return AcademicSession.objects.for_school(self)

    @property
    def enrollments(self):
        from .calendar import Enrollment

        return Enrollment.objects.for_school(self)

    @property
    def staff(self):
        from .people import StaffProfile

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
        _("days to pay a late-issued invoice"),
        default=14,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "When an invoice is issued after its fee schedule's due date, it falls due this many days "
            "after it is issued."
        ),
    )

    # The language guardians are written to and the public pages open in, when a guardian has not
    # chosen one (a code from settings.LANGUAGES).
    default_language = models.CharField(max_length=8, default="en")
    # How money is printed on pages and PDFs: "₦12,500.00" (symbol) or "NGN 12,500.00" (code).
    currency_display = models.CharField(
        max_length=10,
        choices=[("symbol", _("Symbol (₦12,500.00)")), ("code", _("Code (NGN 12,500.00)"))],
        default="symbol",
    )
    # Shown above the public application form.
    public_form_intro = models.TextField(blank=True, default="")

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
    # Members with this role must pass a TOTP check before any staff page (school admins and bursars
    # by default; a custom role copied from one of them keeps it).
    requires_two_factor = models.BooleanField(default=False)
    # A school's own role (copied from a default and edited); the defaults are seeded on provisioning.
    is_custom = models.BooleanField(default=False)

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


class StaffInvite(SchoolScoped):
    """An invitation to join a school's staff: a single-use, expiring link (only its hash is kept)
    that lets the person set a password (and enrol TOTP where the role requires it) and become a member."""

    email = models.EmailField()
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="invites")
    first_name = models.CharField(max_length=80, blank=True, default="")
    last_name = models.CharField(max_length=80, blank=True, default="")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per address and school: inviting again replaces (revokes) the old one.
            models.UniqueConstraint(
                fields=["school", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="staffinvite_one_open_per_email",
            ),
        ]

    def __str__(self):
        return f"Invitation for {self.email}"
