"""The admissions funnel by school-local day: applications submitted, and status moves."""

from collections import defaultdict

from django.db.models import Count

from classpoint.days import day_bounds, local_day

from ..models import Application, ApplicationEvent

MOVES = ("in_review", "needs_info", "approved", "converted", "rejected", "withdrawn")


def leads_by_day(*, school, start, end):
    since, until = day_bounds(school, start, end)
    rows = (
        Application.objects.for_school(school)
        .filter(submitted_at__gte=since, submitted_at__lt=until)
        .annotate(day=local_day("submitted_at", school))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def moves_by_day(*, school, start, end):
    """{day: {status: moves to it}}."""
    since, until = day_bounds(school, start, end)
    rows = (
        ApplicationEvent.objects.for_school(school)
        .filter(kind=ApplicationEvent.Kind.STATUS, at__gte=since, at__lt=until, to_status__in=MOVES)
        .annotate(day=local_day("at", school))
        .values("day", "to_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = defaultdict(dict)
    for row in rows:
        found[row["day"]][row["to_status"]] = row["n"]
    return found
