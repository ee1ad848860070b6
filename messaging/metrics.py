"""Messaging metrics. Counters are per process (each worker reports what it did); the deferred
backlog is read from the database at scrape time so every node reports the same figure."""

from django.db import connection
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily

from classpoint.scoping import unscoped

MESSAGES = Counter("classpoint_messages", "Messages reaching a status, by channel.", labelnames=["channel", "status"])
PROVIDER_ERRORS = Counter(
    "classpoint_message_provider_errors",
    "Provider errors while sending, by provider and kind.",
    labelnames=["provider", "kind"],
)


def count(message):
    MESSAGES.labels(channel=message.channel, status=message.status).inc()


class DeferredCollector:
    def describe(self):
        yield GaugeMetricFamily("classpoint_messages_deferred", "")

    def collect(self):
        from .models import Message

        try:
            with unscoped(reason="the platform's metrics count every school's deferred messages"):
                deferred = Message.objects.filter(status=Message.Status.DEFERRED).count()
        except Exception:  # noqa: BLE001 - no table yet (before migrate) or database down: report nothing
            connection.close_if_unusable_or_obsolete()
            return
        yield GaugeMetricFamily(
            "classpoint_messages_deferred", "Messages waiting for quiet hours to end.", value=deferred
        )


try:
    REGISTRY.register(DeferredCollector())
except ValueError:  # already registered (module re-import in tests)
    pass
