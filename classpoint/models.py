"""Kernel tables: the event outbox, the audit log, feature flags, API idempotency records, integration
tokens (stored hashed) and the sessions each user signed in with."""

import datetime

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """One domain event, written in the transaction that caused it and handled at least once."""

    school = models.ForeignKey(
        settings.CLASSPOINT_SCHOOL_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event_type = models.CharField(max_length=80)
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # The id of the request (or task) that caused the event: its handlers log under it, so one
    # search of the logs follows a click through every worker that acted on it. A database default
    # too: the bulk COPY path and raw inserts need not name it.
    request_id = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="outbox_unique_dedupe_per_school",
            ),
        ]
        indexes = [
            # The worker's claim query only ever looks at pending rows; a partial index keeps it
            # small however much history the table holds.
            models.Index(
                fields=["available_at", "id"],
                condition=Q(processed_at__isnull=True, dead_at__isnull=True, claimed_at__isnull=True),
                name="outbox_ready_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(processed_at__isnull=True, dead_at__isnull=True, claimed_at__isnull=False),
                name="outbox_claimed_idx",
            ),
            models.Index(fields=["event_type", "created_at"], name="outbox_type_created_idx"),
            # A student's message requests (the invoice page lists those about the invoice).
            models.Index(
                "school",
                models.F("payload__student_id"),
                "created_at",
                condition=Q(event_type="messaging.requested"),
                name="outbox_msg_student_idx",
            ),
        ]

    def __str__(self):
        return f"{self.event_type} #{self.pk}"

    @property
    def status(self):
        if self.dead_at:
            return "dead"
        if self.processed_at:
            return "processed"
        if self.claimed_at:
            return "claimed"
        return "pending"


class OutboxTypeStats(models.Model):
    """Running totals per event type, so /metrics can expose counters that survive restarts and
    are shared by every worker process (a process-local counter would not be)."""

    event_type = models.CharField(max_length=80, primary_key=True)
    processed_total = models.BigIntegerField(default=0)
    failures_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name_plural = _("outbox type stats")

    def __str__(self):
        return self.event_type


class AppendOnlyQuerySet(models.QuerySet):
    def for_school(self, school):
        if school is None:  # filter(school=None) means IS NULL: the platform's own entries, no school's to read
            raise ValueError("for_school needs a school")
        return self.filter(school=school)

    def update(self, **kwargs):
        raise PermissionDenied("The audit log is append-only.")

    def delete(self):
        raise PermissionDenied("The audit log is append-only.")


class AuditLog(models.Model):
    """Who did (or looked at) what, when, from where. Never edited, never deleted."""

    school = models.ForeignKey(
        settings.CLASSPOINT_SCHOOL_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, default="")  # kept if the user goes
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=200, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["school", "target_type", "target_id", "-created_at"], name="audit_target_idx"),
            models.Index(fields=["school", "action", "-created_at"], name="audit_action_idx"),
            # The school's log newest first (the workspace page and API default): without it PostgreSQL
            # sorts the school's whole log for every page after the first.
            models.Index(fields=["school", "-created_at", "-id"], name="audit_school_recent_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.target_type}:{self.target_id} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The audit log is append-only.")


class FeatureFlag(models.Model):
    """A switch, global (school empty) or for one school; the school's row wins over the global one."""

    key = models.SlugField(max_length=80)
    school = models.ForeignKey(
        settings.CLASSPOINT_SCHOOL_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    enabled = models.BooleanField(default=False)
    description = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "school_id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "school"], name="flag_unique_per_school"),
            models.UniqueConstraint(fields=["key"], condition=Q(school__isnull=True), name="flag_unique_global"),
        ]

    def __str__(self):
        scope = self.school.slug if self.school_id else "global"
        return f"{self.key} ({scope}): {'on' if self.enabled else 'off'}"


class IdempotencyRecord(models.Model):
    """The stored answer to a POST carrying an Idempotency-Key, per user and key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"


class WorkerHeartbeat(models.Model):
    """Last sign of life of each outbox worker (task-cluster drains and `outbox_worker` loops);
    /api/health reads it to tell whether anything is draining the queue."""

    name = models.CharField(max_length=100, primary_key=True)
    kind = models.CharField(max_length=20, default="cluster")
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    handled_total = models.BigIntegerField(default=0)

    def __str__(self):
        return self.name


class Counter(models.Model):
    """A per-school sequence for numbers people read (invoices, receipts). Taken inside the
    caller's transaction with the row locked, so numbers are gapless and never shared."""

    school = models.ForeignKey(settings.CLASSPOINT_SCHOOL_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "key"], name="counter_unique_key")]

    def __str__(self):
        return f"{self.key}={self.value}"


class ApiTokenQuerySet(models.QuerySet):
    def for_school(self, school):
        if school is None:
            raise ValueError("for_school needs a school")
        return self.filter(school=school)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A school's integration key. Only its SHA-256 is kept: the key is shown once, when made.

    Requests made with it act as `user`, a service user made for this token alone whose one
    membership (at `school`) carries the role the token was given; a token from before keys were
    hashed may still belong to a person (`service_account` false)."""

    school = models.ForeignKey(settings.CLASSPOINT_SCHOOL_MODEL, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    service_account = models.BooleanField(default=True)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)  # the key's first characters, to tell tokens apart
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "-created_at"], name="apitoken_school_recent_idx")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


class UserSession(models.Model):
    """A session a user signed in with, so access taken away ends it at once whatever the session
    engine (database, cache or both): the engine is asked to delete each key recorded here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id}: {self.session_key[:6]}…"


def _record_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:  # a cookie-only session has no key to record (nor a server copy to end)
        UserSession.objects.update_or_create(session_key=key, defaults={"user": user})
        # Sessions left to expire (never signed out of) are forgotten once they could no longer be used.
        expired = timezone.now() - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        UserSession.objects.filter(user=user, created_at__lt=expired).delete()


def _forget_session(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


# Connected where the model is defined, as django.contrib.auth connects `update_last_login`.
user_logged_in.connect(_record_session, dispatch_uid="classpoint-record-session")
user_logged_out.connect(_forget_session, dispatch_uid="classpoint-forget-session")


class MaintenanceMode(models.Model):
    """The platform's maintenance switch: one row (pk 1) that every web node reads per request, so
    turning it on or off reaches every node at its next request without a restart or a shared cache.
    While on, writes answer 503 (classpoint/maintenance.py); `since` and `set_by` describe the
    current state, whichever it is."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    enabled = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True, default="")
    retry_after = models.PositiveIntegerField(default=300)  # seconds, sent as Retry-After
    since = models.DateTimeField(default=timezone.now)
    set_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("maintenance mode")
        verbose_name_plural = _("maintenance mode")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="maintenance_single_row")]

    def __str__(self):
        return f"maintenance {'on' if self.enabled else 'off'} since {self.since:%Y-%m-%d %H:%M}"


class PausedEventType(models.Model):
    """An event type whose handlers an operator has paused: the worker leaves its events waiting
    (unclaimed, attempts untouched) until the row is deleted (classpoint/outbox/pause.py)."""

    event_type = models.CharField(max_length=80, primary_key=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    paused_at = models.DateTimeField(default=timezone.now)
    paused_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["event_type"]

    def __str__(self):
        return self.event_type


class OutboxProbeHit(models.Model):
    """One handling of an `ops.probe` event (classpoint/outbox/probe.py, `manage.py outbox_probe`).

    A row per handling, not per event, so a repeat shows as a second row: `first` tells the effect
    (one per event, or the pipeline broke a promise) from a redelivery after a crash (expected: the
    outbox delivers at least once). `event_id` is a plain number, not a key to OutboxEvent: a key
    would make school archives carry these rows, and a probe belongs to the deployment, not a school."""

    run = models.CharField(max_length=64)
    event_id = models.BigIntegerField()
    first = models.BooleanField(default=True)
    handled_at = models.DateTimeField(default=timezone.now)
    worker = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["run", "event_id"], name="probe_hit_run_event_idx")]

    def __str__(self):
        return f"{self.run}: event {self.event_id}{'' if self.first else ' (again)'}"
