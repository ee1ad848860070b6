"""Prometheus metrics beyond django-prometheus' request/database ones.

Two kinds. Counters incremented where the event happens, in the web process that sees it (failed
sign-ins, cross-tenant refusals; payments' webhook rejections live beside their view). And figures
read from the database at scrape time: the work happens in the task cluster, which nobody scrapes,
and every web node must report the same, true number however many workers there are. Those reads
are a handful of indexed queries bounded by a time window or a small status, never a walk over
history; each collector reports nothing (rather than failing the scrape) when its table is missing
or the database is down, which `classpoint_database_up` then says.

The kernel names no app in an import (docs/architecture.md): the domain tables are looked up in
Django's app registry by label, and a collector whose app is not installed reports nothing. The one
rule too involved to repeat here (which registers a school's day asks for) is academics' own
function, called by its dotted name, so the two can never disagree.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn/gunicorn.conf.py):
each worker then writes its counters to that folder and a scrape adds them up, instead of
answering with whichever worker's own counts the request happened to reach.
"""

import datetime
import hmac
import math
import os
import zoneinfo

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from .maintenance import read_state as read_maintenance
from .net import client_ip
from .outbox.pause import paused_types
from .scoping import unscoped

LOGIN_FAILURES = Counter("classpoint_login_failures", "Failed staff sign-in attempts.")
TENANT_ACCESS_DENIED = Counter(
    "classpoint_tenant_access_denied", "Requests refused because the user is not a member of the school."
)

# Workers beat on every drain and the cluster drains every minute (classpoint/health.py).
WORKER_STALE = datetime.timedelta(seconds=150)
MESSAGE_FAILED_WINDOW = datetime.timedelta(minutes=15)
# A failed message was created at most this long before it failed: quiet hours hold a message for
# less than a day. Bounding created_at lets the (school, status, created_at) index do the work.
MESSAGE_LIFETIME = datetime.timedelta(days=1)
RECENT_WINDOW = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
OPEN_APPLICATION_STATUSES = ("pending", "in_review", "needs_info", "approved")
# academics' completeness rule, named by string: the kernel may not import an app.
MISSING_REGISTERS = "academics.attendance.completeness.missing_by_school"


def _model(label):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _school_ids():
    """Every school's id. Domain indexes lead with the school, so a window query filtered by
    `school_id IN (...)` is a range scan per school instead of a walk over the whole table."""
    School = _model("schools.School")
    return list(School.objects.values_list("pk", flat=True)) if School else []


class ScrapeCollector:
    """A collector read at scrape time. `families` maps each name to (kind, help, labels);
    `read()` returns {name: value or {label tuple: value}}."""

    families = {}

    def describe(self):
        # Names only: registering must not query the database (it runs at import).
        for name, (kind, _help, labels) in self.families.items():
            yield kind(name, "", labels=labels or None)

    def collect(self):
        try:
            with unscoped(reason="the platform's metrics count every school"):
                values = self.read()
        except Exception:  # noqa: BLE001 - no table yet (before migrate) or database down: report nothing
            connection.close_if_unusable_or_obsolete()
            return
        if values is None:
            return
        for name, (kind, help_text, labels) in self.families.items():
            value = values.get(name, {} if labels else 0)
            if labels:
                family = kind(name, help_text, labels=labels)
                for key, n in sorted(value.items()):
                    family.add_metric(list(key), n)
                yield family
            else:
                yield kind(name, help_text, value=value)

    def read(self):
        raise NotImplementedError


class OutboxCollector(ScrapeCollector):
    families = {
        "classpoint_outbox_pending": (GaugeMetricFamily, "Outbox events not yet processed.", None),
        "classpoint_outbox_oldest_pending_age_seconds": (
            GaugeMetricFamily,
            "Age of the oldest unprocessed event.",
            None,
        ),
        "classpoint_outbox_dead": (GaugeMetricFamily, "Dead-lettered outbox events.", None),
        "classpoint_outbox_processed": (CounterMetricFamily, "Outbox events processed, by type.", ["event_type"]),
        "classpoint_outbox_failures": (CounterMetricFamily, "Outbox handler failures, by type.", ["event_type"]),
    }

    def read(self):
        from .models import OutboxEvent, OutboxTypeStats

        pending = OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True)
        oldest = pending.order_by("available_at").values_list("created_at", flat=True).first()
        stats = list(OutboxTypeStats.objects.values_list("event_type", "processed_total", "failures_total"))
        return {
            "classpoint_outbox_pending": pending.count(),
            "classpoint_outbox_oldest_pending_age_seconds": max((timezone.now() - oldest).total_seconds(), 0.0)
            if oldest
            else 0.0,
            "classpoint_outbox_dead": OutboxEvent.objects.filter(dead_at__isnull=False).count(),
            "classpoint_outbox_processed": {(t,): done for t, done, _failed in stats},
            "classpoint_outbox_failures": {(t,): failed for t, _done, failed in stats},
        }


class DatabaseCollector:
    """1 when this node can run a query now, else 0: the one figure still true when the database is
    down (every other database-read collector then reports nothing)."""

    def describe(self):
        yield GaugeMetricFamily("classpoint_database_up", "")

    def collect(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            up = 1
        except Exception:  # noqa: BLE001 - unreachable, refused, timed out: all mean "down" here
            connection.close_if_unusable_or_obsolete()
            up = 0
        yield GaugeMetricFamily("classpoint_database_up", "Whether this node can query the database.", value=up)


class WorkerCollector(ScrapeCollector):
    families = {
        "classpoint_worker_heartbeat_age_seconds": (
            GaugeMetricFamily,
            "Seconds since any outbox worker last beat (+Inf if none ever has).",
            None,
        ),
        "classpoint_workers_active": (
            GaugeMetricFamily,
            f"Workers that beat in the last {int(WORKER_STALE.total_seconds())} s.",
            None,
        ),
    }

    def read(self):
        from .models import WorkerHeartbeat

        now = timezone.now()
        last = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
        return {
            "classpoint_worker_heartbeat_age_seconds": max((now - last).total_seconds(), 0.0) if last else math.inf,
            "classpoint_workers_active": WorkerHeartbeat.objects.filter(last_seen__gte=now - WORKER_STALE).count(),
        }


class LoginLockoutCollector(ScrapeCollector):
    """Sign-in keys (username and address) django-axes holds locked out now: shared by every node,
    unlike the per-process failure counter. Its table only holds keys that failed recently."""

    families = {
        "classpoint_login_lockouts_active": (
            GaugeMetricFamily,
            "Sign-in keys (username, address) currently locked out after repeated failures.",
            None,
        )
    }

    def read(self):
        AccessAttempt = _model("axes.AccessAttempt")
        if AccessAttempt is None:
            return None
        from axes.helpers import get_cool_off

        locked = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
        cooloff = get_cool_off()
        if cooloff:  # a lockout ends when the cool-off since the last failure has passed
            locked = locked.filter(attempt_time__gte=timezone.now() - cooloff)
        return {"classpoint_login_lockouts_active": locked.count()}


class MessagingCollector(ScrapeCollector):
    families = {
        "classpoint_messages_failed_15m": (
            GaugeMetricFamily,
            "Messages whose sending failed (provider refused, errored or never answered) in the last 15 minutes.",
            ["channel"],
        ),
        "classpoint_messages_created_1h": (
            GaugeMetricFamily,
            "Messages asked for in the last hour, by channel and where they are now.",
            ["channel", "status"],
        ),
    }

    def read(self):
        Message = _model("messaging.Message")
        if Message is None:
            return None
        now, schools = timezone.now(), _school_ids()
        failed = (
            Message.objects.filter(
                school_id__in=schools,
                status=Message.Status.FAILED,
                created_at__gte=now - MESSAGE_LIFETIME,
                updated_at__gte=now - MESSAGE_FAILED_WINDOW,
            )
            .order_by()
            .values_list("channel")
            .annotate(n=Count("id"))
        )
        recent = (
            Message.objects.filter(school_id__in=schools, created_at__gte=now - RECENT_WINDOW)
            .order_by()
            .values_list("channel", "status")
            .annotate(n=Count("id"))
        )
        return {
            "classpoint_messages_failed_15m": {(channel,): n for channel, n in failed},
            "classpoint_messages_created_1h": {(channel, status): n for channel, status, n in recent},
        }


class AdmissionsCollector(ScrapeCollector):
    families = {
        "classpoint_applications_open": (
            GaugeMetricFamily,
            "Applications waiting on the school, by status.",
            ["status"],
        ),
        "classpoint_applications_submitted_24h": (
            GaugeMetricFamily,
            "Applications (leads) submitted in the last 24 hours, by source.",
            ["source"],
        ),
    }

    def read(self):
        Application = _model("registrar.Application")
        if Application is None:
            return None
        schools = _school_ids()
        open_ = (
            Application.objects.filter(school_id__in=schools, status__in=OPEN_APPLICATION_STATUSES)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        submitted = (
            Application.objects.filter(school_id__in=schools, submitted_at__gte=timezone.now() - DAY)
            .order_by()
            .values_list("source")
            .annotate(n=Count("id"))
        )
        counts = {(status,): 0 for status in OPEN_APPLICATION_STATUSES}
        counts.update({(status,): n for status, n in open_})
        return {
            "classpoint_applications_open": counts,
            "classpoint_applications_submitted_24h": {(source,): n for source, n in submitted},
        }


class PaymentsCollector(ScrapeCollector):
    families = {
        "classpoint_payments_24h": (
            GaugeMetricFamily,
            "Payments recorded in the last 24 hours, by kind and where they are now.",
            ["kind", "status"],
        ),
        "classpoint_payments_confirmed_minor_24h": (
            GaugeMetricFamily,
            "Amount of the confirmed payments recorded in the last 24 hours, in minor units, by currency.",
            ["currency"],
        ),
        "classpoint_payment_proofs_pending": (
            GaugeMetricFamily,
            "Bank-transfer proofs waiting for a bursar's review.",
            None,
        ),
        "classpoint_payments_flagged": (
            GaugeMetricFamily,
            "Payments flagged for review (amount or currency mismatch, late event).",
            None,
        ),
    }

    def read(self):
        Transaction, Proof = _model("payments.PaymentTransaction"), _model("payments.PaymentProof")
        if Transaction is None or Proof is None:
            return None
        schools = _school_ids()
        recent = Transaction.objects.filter(school_id__in=schools, created_at__gte=timezone.now() - DAY).order_by()
        by_status = recent.values_list("kind", "status").annotate(n=Count("id"))
        collected = (
            recent.filter(status=Transaction.Status.CONFIRMED)
            .values_list("currency")
            .annotate(total=Sum("amount_minor"))
        )
        return {
            "classpoint_payments_24h": {(kind, status): n for kind, status, n in by_status},
            "classpoint_payments_confirmed_minor_24h": {(currency,): total for currency, total in collected},
            "classpoint_payment_proofs_pending": Proof.objects.filter(
                school_id__in=schools, status=Proof.Status.PENDING
            ).count(),
            "classpoint_payments_flagged": Transaction.objects.filter(
                school_id__in=schools, status=Transaction.Status.FLAGGED
            ).count(),
        }


class RegistersPastDeadlineCollector(ScrapeCollector):
    """Registers still missing once the school's own deadline (its attendance policy's reminder
    time, school-local) has passed today: before it, a missing register is only a register not yet
    taken. Per school, and only schools with some missing, so the series count stays small."""

    families = {
        "classpoint_registers_missing_past_deadline": (
            GaugeMetricFamily,
            "Registers still missing today after the school's register deadline, by school.",
            ["school"],
        )
    }

    def read(self):
        School, Policy = _model("schools.School"), _model("academics.AttendancePolicy")
        if School is None or Policy is None:
            return None
        now = timezone.now()
        field = Policy._meta.get_field("reminder_at")
        default = field.to_python(field.get_default())
        deadlines = dict(Policy.objects.values_list("school_id", "reminder_at"))
        missing = import_string(MISSING_REGISTERS)(now=now)
        late = {}
        for pk, slug, zone in School.objects.filter(pk__in=[pk for pk, (n, _) in missing.items() if n]).values_list(
            "pk", "slug", "timezone"
        ):
            try:
                local = now.astimezone(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                local = now
            if local.time() >= deadlines.get(pk, default):
                late[(slug,)] = missing[pk][0]
        return {"classpoint_registers_missing_past_deadline": late}


class LeversCollector(ScrapeCollector):
    """The operator's levers, so an alert can tell a deliberate pause from a stuck queue."""

    families = {
        "classpoint_maintenance_mode": (GaugeMetricFamily, "1 while maintenance mode refuses writes.", None),
        "classpoint_outbox_paused_types": (GaugeMetricFamily, "Event types whose handlers are paused.", None),
    }

    def read(self):
        return {
            "classpoint_maintenance_mode": int(read_maintenance().enabled),
            "classpoint_outbox_paused_types": len(paused_types()),
        }


COLLECTORS = [
    DatabaseCollector(),
    OutboxCollector(),
    WorkerCollector(),
    LoginLockoutCollector(),
    MessagingCollector(),
    AdmissionsCollector(),
    PaymentsCollector(),
    RegistersPastDeadlineCollector(),
    LeversCollector(),
]
for _collector in COLLECTORS:
    try:
        REGISTRY.register(_collector)
    except ValueError:  # already registered (module re-import in tests)
        pass


class MultiProcessRegistry:
    """The counters and histograms of every gunicorn worker, added up from PROMETHEUS_MULTIPROC_DIR,
    then whatever else the process's registry holds (the database reads above, the apps'
    collectors), which is the same whichever worker answers."""

    def collect(self):
        from prometheus_client import multiprocess

        seen = set()
        for family in multiprocess.MultiProcessCollector(None).collect():
            seen.add(family.name)
            yield family
        for family in REGISTRY.collect():
            if family.name not in seen:
                yield family


def registry():
    return MultiProcessRegistry() if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else REGISTRY


def metrics_allowed(request):
    if not settings.METRICS_REQUIRE_AUTH:
        return True
    token = settings.METRICS_TOKEN
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer "):
        if hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
            return True
    # The client's address, not the peer's: behind a local proxy every peer is 127.0.0.1.
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


def metrics_view(request):
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
