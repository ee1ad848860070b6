"""SIS sync: a school's connection to its student information system (Aeries API v5 or OneRoster 1.2),
the log of each run, and the SIS's ids of what a run wrote (academics/sis/).

The connection holds a secret's *name* (`classpoint/{env}/sis/<credentials_ref>`, resolved by
classpoint.secrets), never the certificate or the client secret. A SisLink ties one SIS record to one
Classpoint row in both directions (unique either way), so a pupil is found by the SIS's id from the
second run on, and a pupil imported from CSV before the first run is matched, not created twice
(the match rules are in academics/sis/matching.py).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class Adapter(models.TextChoices):
    AERIES = "aeries", _("Aeries API v5")
    ONEROSTER = "oneroster", _("OneRoster 1.2")


class SisConnection(SchoolScoped):
    class Direction(models.TextChoices):
        NONE = "none", _("No attendance")
        PULL = "pull", _("Pull attendance from the SIS")
        PUSH = "push", _("Push attendance to the SIS")

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="+")
    adapter = models.CharField(max_length=12, choices=Adapter.choices)
    base_url = models.URLField(max_length=300, help_text=_("e.g. https://district.aeries.net/admin (no /api/v5)."))
    token_url = models.URLField(
        max_length=300, blank=True, default="", help_text="OneRoster: the OAuth2 token endpoint."
    )
    credentials_ref = models.SlugField(
        max_length=80,
        help_text=_(
            'The key of the secret classpoint/{env}/sis/<key>: Aeries {"certificate"}, OneRoster '
            '{"client_id", "client_secret"}.'
        ),
    )
    school_code = models.CharField(max_length=64, help_text=_("Aeries school code, or the OneRoster org's sourcedId."))
    database_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Aeries DatabaseYear (2026 for 2026-2027); empty: the district's default."
    )
    attendance_direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.NONE)
    enabled = models.BooleanField(default=True)
    # Aeries does not publish when a certificate ends: the operator enters it from the district's letter.
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)  # OneRoster: the last token's expiry
    last_run = models.ForeignKey(
        "academics.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SIS connection")

    def __str__(self):
        return f"{self.get_adapter_display()} for school {self.school_id}"


class SyncRun(SchoolScoped):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        DRY_RUN = "dry_run", _("Dry run")

    adapter = models.CharField(max_length=12, choices=Adapter.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(default=False)
    since = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # {kind: {created, updated, unchanged, failed, linked, ended}} for student, guardian, class_group,
    # enrollment, attendance (pulled) and attendance_push.
    counts = models.JSONField(default=dict, blank=True)
    # [{kind, external_id, message}], the first MAX_ERRORS of `error_count`.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")  # why the run as a whole failed

    MAX_ERRORS = 200

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["school", "-started_at"], name="syncrun_school_started_idx")]

    def __str__(self):
        return f"{self.adapter} sync {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class SisLink(SchoolScoped):
    class Kind(models.TextChoices):
        STUDENT = "student", _("Student")
        GUARDIAN = "guardian", _("Guardian")
        CLASS_GROUP = "class_group", _("Class group")
        ENROLLMENT = "enrollment", _("Enrollment")

    adapter = models.CharField(max_length=12, choices=Adapter.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    external_id = models.CharField(max_length=191)
    local_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SIS link")
        constraints = [
            models.UniqueConstraint(fields=["school", "adapter", "kind", "external_id"], name="sislink_one_per_sis_id"),
            models.UniqueConstraint(fields=["school", "adapter", "kind", "local_id"], name="sislink_one_per_row"),
            models.CheckConstraint(condition=~Q(external_id=""), name="sislink_external_id_set"),
        ]

    def __str__(self):
        return f"{self.adapter} {self.kind} {self.external_id} -> {self.local_id}"
