"""Applications from first contact to enrolled student, and the daily KPI sinks the dashboard reads.

An application's status moves only through `registrar.transitions.TRANSITIONS` (one table, one
service); every move is an ApplicationEvent (who, when, a note), audited, and emitted as
`selfreg.status.updated`. The guardians on an application are real Guardian rows from the moment it
arrives (an existing family is matched by phone or email), so the acknowledgement, the needs-info
request and the welcome go through messaging like every other message, with consent as given on
the form; conversion links the new Student to them (siblings share them already).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class DocumentKind(models.TextChoices):
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    LAST_REPORT = "last_report", _("Last school report")
    PHOTO = "photo", _("Passport photo")
    OTHER = "other", _("Other document")


class Application(SchoolScoped):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_REVIEW = "in_review", _("In review")
        NEEDS_INFO = "needs_info", _("Needs info")
        APPROVED = "approved", _("Approved")
        CONVERTED = "converted", _("Enrolled")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        FORM = "form", _("Public form")
        API = "api", _("API")
        STAFF = "staff", _("Staff")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    # Per-school and gapless (classpoint.counters, key "application"): APP-000123.
    reference = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    other_names = models.CharField(max_length=120, blank=True, default="")
    date_of_birth = models.DateField()
    gender = models.CharField(max_length=10, choices=Gender.choices)
    class_level = models.CharField(max_length=40, help_text=_("The class level sought (JSS 1)."))
    term = models.ForeignKey(
        "schools.Term",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The term applied for; empty means the current term."),
    )
    previous_school = models.CharField(max_length=200, blank=True, default="")
    notes = models.TextField(blank=True, default="", help_text=_("Anything the family told us on the form."))
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    # The language the family applied in (a code from settings.LANGUAGES; empty: not known, as for
    # staff and API entries): their messages about it are written in it, and their guardian record
    # takes it as the preferred language.
    language = models.CharField(max_length=8, blank=True, default="")
    submitted_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # What the registrar asked for when moving to needs_info (shown to the guardian on the upload link).
    needs_info_items = models.JSONField(default=list, blank=True)
    # Placement (registrar's "Class" tab): the class group; seats in timetable slots are academics.SlotSeat.
    placed_class_group = models.ForeignKey(
        "schools.ClassGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="placed_applications"
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    # Set on approval with an invoice (the student is created then, status "admitted") or on conversion.
    student = models.ForeignKey(
        "schools.Student", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    invoice = models.ForeignKey("fees.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    converted_at = models.DateTimeField(null=True, blank=True)
    # Kept in step by the services so the board filters without joins.
    open_duplicates = models.PositiveSmallIntegerField(default=0)
    missing_documents = models.PositiveSmallIntegerField(default=0)
    # Lower-cased names, reference, guardians' phones and emails: what the board's search reads
    # (trigram-indexed on PostgreSQL).
    search_text = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "reference"], name="application_unique_reference"),
            models.UniqueConstraint(
                fields=["student"], condition=Q(student__isnull=False), name="application_one_per_student"
            ),
        ]
        indexes = [
            # The lead queue (a board column): one status, newest first. The old system's required index.
            models.Index(fields=["school", "status", "-submitted_at", "-id"], name="application_lead_queue_idx"),
            models.Index(fields=["school", "-submitted_at", "-id"], name="application_recent_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.full_name}"

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.other_names, self.last_name) if p)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


OPEN_STATUSES = {
    Application.Status.PENDING,
    Application.Status.IN_REVIEW,
    Application.Status.NEEDS_INFO,
    Application.Status.APPROVED,
}


class ApplicationGuardian(SchoolScoped):
    """A guardian as the application gave them (kept as typed), linked to the Guardian row that
    messages go to (an existing family's, matched by phone or email, or a new one)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="guardians")
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.PROTECT, related_name="applications")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    relationship = models.CharField(max_length=40, blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")  # E.164
    email = models.EmailField(blank=True, default="")
    is_primary = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_whatsapp = models.BooleanField(default=False)
    consent_email = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "guardian"], name="application_guardian_unique"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class DocumentRequirement(SchoolScoped):
    """Which documents a class level requires (level "" applies to every level)."""

    level = models.CharField(max_length=40, blank=True, default="")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    is_required = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["school", "level", "kind"], name="document_requirement_unique"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.level or 'all levels'})"


class ApplicationDocument(SchoolScoped):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    class Via(models.TextChoices):
        FORM = "form", _("Public form")
        LINK = "link", _("Guardian's upload link")
        STAFF = "staff", _("Staff")
        API = "api", _("API")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to="applications/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=60, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    note = models.CharField(max_length=300, blank=True, default="")
    uploaded_via = models.CharField(max_length=10, choices=Via.choices, default=Via.FORM)
    uploaded_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Carried over on conversion (the student keeps the documents the application had).
    student = models.ForeignKey(
        "schools.Student", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )

    class Meta:
        ordering = ["kind", "-uploaded_at", "-id"]
        indexes = [models.Index(fields=["application", "kind"], name="application_document_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.application_id}"


class ApplicationEvent(SchoolScoped):
    """The application's own history: status changes, placements, documents, duplicates, notes.
    Messages and payments join it on the History tab from their own tables."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        PLACEMENT = "placement", _("Placement")
        DOCUMENT = "document", _("Document")
        DUPLICATE = "duplicate", _("Duplicate")
        INVOICE = "invoice", _("Invoice")
        NOTE = "note", _("Note")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True, default="")
    to_status = models.CharField(max_length=12, blank=True, default="")
    note = models.TextField(blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["application", "at"], name="application_event_at_idx"),
            # The KPI aggregation and the dashboard's live "today" count status moves by school and time.
            models.Index(fields=["school", "at"], condition=Q(kind="status"), name="application_event_kpi_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.from_status}->{self.to_status}"


class DuplicateFlag(SchoolScoped):
    """A possible duplicate found when an application arrived: another application of the same child
    by the same family, or a student who already exists. Staff merge or dismiss it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="duplicate_flags")
    other_application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    student = models.ForeignKey("schools.Student", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(other_application__isnull=False) | Q(student__isnull=False),
                name="duplicate_names_something",
            ),
            models.UniqueConstraint(
                fields=["application", "other_application"],
                condition=Q(other_application__isnull=False),
                name="duplicate_unique_pair",
            ),
            models.UniqueConstraint(
                fields=["application", "student"], condition=Q(student__isnull=False), name="duplicate_unique_student"
            ),
        ]

    def __str__(self):
        return self.reason


# --- KPI sinks -----------------------------------------------------------------------------------


class RegistrationKpiDaily(SchoolScoped):
    """One school-local day of the admissions funnel, written by `kpi_daily_aggregate` (idempotent
    upsert). Past days on the dashboard read these rows; only today is computed live."""

    day = models.DateField()
    leads = models.PositiveIntegerField(default=0)  # applications submitted that day
    in_review = models.PositiveIntegerField(default=0)  # moved to in_review that day
    needs_info = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    converted = models.PositiveIntegerField(default=0)  # enrollments
    rejected = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily registration KPI")
        verbose_name_plural = _("daily registration KPIs")
        constraints = [models.UniqueConstraint(fields=["school", "day"], name="registration_kpi_unique_day")]

    def __str__(self):
        return f"{self.school_id} {self.day}"


class RevenueDaily(SchoolScoped):
    """One school-local day of money: collected (confirmed payments less reversals), invoiced, and
    what was outstanding and overdue at the end of the day."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    collected_minor = models.BigIntegerField(default=0)
    payments = models.PositiveIntegerField(default=0)
    invoiced_minor = models.BigIntegerField(default=0)
    outstanding_minor = models.BigIntegerField(default=0)
    overdue_invoices = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily revenue")
        verbose_name_plural = _("daily revenue")
        constraints = [models.UniqueConstraint(fields=["school", "day"], name="revenue_daily_unique_day")]

    def __str__(self):
        return f"{self.school_id} {self.day}"
