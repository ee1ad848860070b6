"""Academics metrics, read from the database at scrape time so every node reports the same figure.

Attendance: truancy letters sent and SARB referrals made (counters over the interventions table),
yesterday's attendance rate per school (from the nightly sink) and the registers still missing today
across every school (attendance/completeness.py, a handful of queries whatever the number of schools).

Recovery sessions not cancelled: `classpoint_recovery_sessions_active` counts those on each school's
today (in the school's time zone), `classpoint_recovery_sessions_scheduled` those on a later day.
"""

import datetime
import zoneinfo

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

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


LETTERS = "classpoint_truancy_letters"
SARB = "classpoint_sarb_referrals"
RATE = "classpoint_attendance_rate"
MISSING = "classpoint_registers_missing"


def attendance_rates(now=None):
    """{school slug: attended / marked} for each school's yesterday, from the nightly sink."""
    from .models import AttendanceDaily

    now = now or timezone.now()
    with unscoped(reason="the platform's metrics read every school's attendance sink"):
        rows = list(
            AttendanceDaily.objects.filter(date__gte=now.date() - datetime.timedelta(days=2), date__lte=now.date())
            .order_by()
            .values_list("school__slug", "school__timezone", "date")
            .annotate(attended=Sum("attended"), marked=Sum("marked"))
        )
    rates = {}
    for slug, zone, date, attended, marked in rows:
        if date == _today_in(zone, now) - datetime.timedelta(days=1) and marked:
            rates[slug] = attended / marked
    return rates


def intervention_counts():
    """({letter kind: letters that went out}, SARB referrals made), every school."""
    from .models import Intervention

    gone_out = [Intervention.State.SENT, Intervention.State.ACKNOWLEDGED, Intervention.State.CLOSED]
    with unscoped(reason="the platform's metrics count every school's interventions"):
        counts = dict(
            Intervention.objects.filter(state__in=gone_out).values_list("kind").annotate(n=Count("id")).order_by()
        )
    letters = {kind: counts.get(kind, 0) for kind in ("letter_1", "letter_2", "letter_3")}
    return letters, counts.get(Intervention.Kind.SARB_REFERRAL, 0)


class AttendanceCollector:
    def describe(self):
        yield CounterMetricFamily(LETTERS, "", labels=["letter"])
        yield CounterMetricFamily(SARB, "")
        yield GaugeMetricFamily(RATE, "", labels=["school"])
        yield GaugeMetricFamily(MISSING, "")

    def collect(self):
        from .attendance.completeness import missing_by_school

        try:
            letters, referrals = intervention_counts()
            rates = attendance_rates()
            missing = sum(missing for missing, _expected in missing_by_school().values())
        except Exception:  # noqa: BLE001 - no table yet (before migrate) or database down: report nothing
            connection.close_if_unusable_or_obsolete()
            return
        family = CounterMetricFamily(LETTERS, "Truancy letters sent to families, by letter.", labels=["letter"])
        for kind, n in letters.items():
            family.add_metric([kind], n)
        yield family
        yield CounterMetricFamily(SARB, "SARB referrals made.", value=referrals)
        rate = GaugeMetricFamily(RATE, "Yesterday's attendance rate (attended / marked pupil-days).", labels=["school"])
        for slug, value in sorted(rates.items()):
            rate.add_metric([slug], value)
        yield rate
        yield GaugeMetricFamily(MISSING, "Registers today asks for that nobody has taken, every school.", value=missing)


try:
    REGISTRY.register(AttendanceCollector())
except ValueError:  # already registered (module re-import in tests)
    pass
