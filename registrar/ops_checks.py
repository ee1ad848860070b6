"""Registrar's entry in `manage.py ops_check` (run by classpoint.ops_checks): yesterday's KPI
aggregates (both sinks) written for every active school, yesterday being each school's own.

Before a school's aggregation hour (KPI_AGGREGATE_LOCAL_HOUR, school time, plus an hour's grace)
its yesterday is not due yet, so the day before is checked instead: a check run at 01:00 Lagos time
must not cry wolf about work scheduled for 02:00.
"""

import datetime

from django.conf import settings

from classpoint.days import DAY
from classpoint.ops_checks import ok, warn
from classpoint.scoping import unscoped
from schools.models import School

from .models import RegistrationKpiDaily, RevenueDaily

NAME = "kpi aggregates"
GRACE = datetime.timedelta(hours=1)


def due_day(school, now):
    """The latest school-local day whose aggregates should exist by `now`."""
    local = now.astimezone(school.tzinfo)
    hour = getattr(settings, "KPI_AGGREGATE_LOCAL_HOUR", 2)
    ready = datetime.datetime.combine(local.date(), datetime.time(hour), tzinfo=school.tzinfo) + GRACE
    return local.date() - (DAY if local >= ready else 2 * DAY)


def check_kpi_aggregates(context):
    with unscoped(reason="the operator's checklist looks for every active school's KPI rows at once"):
        schools = School.objects.filter(status=School.Status.ACTIVE)
        if context.school:
            schools = schools.filter(slug=context.school)
        schools = list(schools.order_by("slug"))
        days = {s.pk: due_day(s, context.now) for s in schools}
        # Two queries for every school, as the hourly job looks for what is missing.
        written = set(
            RegistrationKpiDaily.objects.filter(day__in=set(days.values())).values_list("school_id", "day")
        ) & set(RevenueDaily.objects.filter(day__in=set(days.values())).values_list("school_id", "day"))
    if not schools:
        return ok(NAME, "no active school")
    missing = [s for s in schools if (s.pk, days[s.pk]) not in written]
    if not missing:
        shown = sorted(set(days.values()))
        return ok(NAME, f"{len(schools)} active schools have {', '.join(map(str, shown))}")
    return [
        warn(
            NAME,
            f"no aggregates for {days[s.pk]} (school-local); the dashboard shows a gap",
            f"manage.py kpi_daily_aggregate --school {s.slug} --date {days[s.pk]}; if several schools "
            "miss it, check the scheduler and task failures above.",
            school=s.slug,
        )
        for s in missing
    ]


CHECKS = [check_kpi_aggregates]
