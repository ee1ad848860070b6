"""Uploads of a CSV (schools/imports) being checked or imported in the background."""

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from .tenancy import SchoolScoped


class ImportJob(SchoolScoped):
    """One CSV upload being checked or imported; its counts are kept current while it runs."""

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("Check only")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

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
