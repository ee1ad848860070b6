"""Prometheus metrics beyond django-prometheus' request/database ones.

Outbox figures are read from the database at scrape time, so every web node reports the same,
true numbers however many workers process events.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from .net import client_ip

LOGIN_FAILURES = Counter("classpoint_login_failures", "Failed staff sign-in attempts.")
TENANT_ACCESS_DENIED = Counter(
    "classpoint_tenant_access_denied", "Requests refused because the user is not a member of the school."
)


class OutboxCollector:
    def describe(self):
        # Names only: registering must not query the database (it runs at import).
        yield GaugeMetricFamily("classpoint_outbox_pending", "")
        yield GaugeMetricFamily("classpoint_outbox_oldest_pending_age_seconds", "")
        yield GaugeMetricFamily("classpoint_outbox_dead", "")
        yield CounterMetricFamily("classpoint_outbox_processed", "", labels=["event_type"])
        yield CounterMetricFamily("classpoint_outbox_failures", "", labels=["event_type"])

    def collect(self):
        from .models import OutboxEvent, OutboxTypeStats

        try:
            pending = OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True)
            pending_count = pending.count()
            oldest = pending.order_by("available_at").values_list("created_at", flat=True).first()
            dead = OutboxEvent.objects.filter(dead_at__isnull=False).count()
            stats = list(OutboxTypeStats.objects.values_list("event_type", "processed_total", "failures_total"))
        except Exception:  # noqa: BLE001 - no table yet (before migrate) or database down: report nothing
            connection.close_if_unusable_or_obsolete()
            return
        yield GaugeMetricFamily("classpoint_outbox_pending", "Outbox events not yet processed.", value=pending_count)
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "classpoint_outbox_oldest_pending_age_seconds", "Age of the oldest unprocessed event.", value=max(age, 0.0)
        )
        yield GaugeMetricFamily("classpoint_outbox_dead", "Dead-lettered outbox events.", value=dead)
        processed = CounterMetricFamily(
            "classpoint_outbox_processed", "Outbox events processed, by type.", labels=["event_type"]
        )
        failures = CounterMetricFamily(
            "classpoint_outbox_failures", "Outbox handler failures, by type.", labels=["event_type"]
        )
        for event_type, done, failed in stats:
            processed.add_metric([event_type], done)
            failures.add_metric([event_type], failed)
        yield processed
        yield failures


_collector = OutboxCollector()
try:
    REGISTRY.register(_collector)
except ValueError:  # already registered (module re-import in tests)
    pass


def metrics_allowed(request):
    if not settings.METRICS_REQUIRE_AUTH:
        return True
    token = settings.METRICS_TOKEN
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer "):
        import hmac

        if hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
            return True
    # The client's address, not the peer's: behind a local proxy every peer is 127.0.0.1.
    return client_ip(request) in settings.METRICS_ALLOWED_IPS


def metrics_view(request):
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
