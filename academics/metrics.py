"""Academics metrics, read from the database at scrape time so every node reports the same figure.

Recovery sessions not cancelled: `classpoint_recovery_sessions_active` counts those on each school's
today (in the school's time zone), `classpoint_recovery_sessions_scheduled` those on a later day.
"""

import datetime
import zoneinfo

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily

from classpoint.scoping import unscoped

ACTIVE = "classpoint_recovery_sessions_active"
SCHEDULED = "classpoint_recovery_sessions_scheduled"


def _today_in(name, now):
    try:
        return now.astimezone(zoneinfo.ZoneInfo(name)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.date()


def recovery_counts(now=None):
    """(today's sessions, later ones) across every school, each school's today its own."""
    from .models import RecoverySession

    now = now or timezone.now()
    # Every time zone's today is within a day of UTC's: older sessions need not be read.
    since = now.date() - datetime.timedelta(days=1)
    with unscoped(reason="the platform's metrics count every school's recovery sessions"):
        rows = list(
            RecoverySession.objects.filter(state=RecoverySession.State.SCHEDULED, date__gte=since)
            .order_by()
            .values_list("school__timezone", "date")
            .annotate(n=Count("id"))
        )
    active = scheduled = 0
    todays = {}
    for zone, date, n in rows:
        today = todays.setdefault(zone, _today_in(zone, now))
        if date == today:
            active += n
        elif date > today:
            scheduled += n
    return active, scheduled


class RecoveryCollector:
    def describe(self):
        # Names only: registering must not query the database (it runs at import).
        yield GaugeMetricFamily(ACTIVE, "")
        yield GaugeMetricFamily(SCHEDULED, "")

    def collect(self):
        try:
            active, scheduled = recovery_counts()
        except Exception:  # noqa: BLE001 - no table yet (before migrate) or database down: report nothing
            connection.close_if_unusable_or_obsolete()
            return
        yield GaugeMetricFamily(ACTIVE, "Recovery sessions on the school's today, not cancelled.", value=active)
        yield GaugeMetricFamily(SCHEDULED, "Recovery sessions on a later day, not cancelled.", value=scheduled)


try:
    REGISTRY.register(RecoveryCollector())
except ValueError:  # already registered (module re-import in tests)
    pass
