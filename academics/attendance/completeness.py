"""Completeness across every school at once (the platform's metric, the operators' view): how many
registers each school's today asks for and how many are still missing, in a fixed handful of queries
whatever the number of schools. The per-school pages use selectors.sittings_on, which lists them;
both follow the same rule (a class group with pupils enrolled in the term covering the day, and/or
the day's lessons, on the school's open weekdays)."""

import zoneinfo
from collections import defaultdict

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone

from classpoint.scoping import unscoped
from schools.models import Enrollment, School, Term

from ..models import AttendancePolicy, Register, ScheduleSlot
from ..models.attendance import weekdays_monday_to_friday


@unscoped(reason="completeness across every active school: the platform's metric")
def missing_by_school(now=None):
    """{school_id: (missing, expected)} for each active school's today."""
    now = now or timezone.now()
    schools = list(School.objects.filter(status=School.Status.ACTIVE).values_list("pk", "timezone"))
    today = {}
    for pk, zone in schools:
        today[pk] = _local_date(zone, now)
    policies = {
        row["school_id"]: row
        for row in AttendancePolicy.objects.filter(school_id__in=today).values("school_id", "mode", "school_days")
    }
    dates = set(today.values())
    terms = defaultdict(list)
    for term_id, school_id, start, end in Term.objects.filter(
        school_id__in=today,
        start_date__lte=max(dates, default=now.date()),
        end_date__gte=min(dates, default=now.date()),
    ).values_list("pk", "school_id", "start_date", "end_date"):
        terms[school_id].append((start, end, term_id))
    term_of = {}
    for school_id, date in today.items():
        covering = sorted((t for t in terms.get(school_id, ()) if t[0] <= date <= t[1]), reverse=True)
        if covering:
            term_of[school_id] = covering[0][2]
    groups = dict(
        Enrollment.objects.filter(term_id__in=term_of.values(), status=Enrollment.Status.ACTIVE)
        .values_list("term_id")
        .annotate(n=Count("class_group_id", distinct=True))
        .order_by()
    )
    lessons = defaultdict(int)
    for term_id, weekday, n in (
        ScheduleSlot.objects.filter(term_id__in=term_of.values())
        .values_list("term_id", "weekday")
        .annotate(n=Count("id"))
        .order_by()
    ):
        lessons[(term_id, weekday)] = n
    taken_daily, taken_lessons = defaultdict(int), defaultdict(int)
    for school_id, date, is_daily, n in (
        Register.objects.filter(school_id__in=term_of, date__in=dates, submitted_at__isnull=False)
        .annotate(is_daily=ExpressionWrapper(Q(slot__isnull=True), output_field=BooleanField()))
        .values_list("school_id", "date", "is_daily")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if date == today[school_id]:
            (taken_daily if is_daily else taken_lessons)[school_id] += n
    answer = {}
    for school_id, date in today.items():
        policy = policies.get(
            school_id, {"mode": AttendancePolicy.Mode.DAILY, "school_days": weekdays_monday_to_friday()}
        )
        term_id = term_of.get(school_id)
        if term_id is None or date.isoweekday() not in policy["school_days"]:
            answer[school_id] = (0, 0)
            continue
        expected = missing = 0
        if policy["mode"] in (AttendancePolicy.Mode.DAILY, AttendancePolicy.Mode.BOTH):
            n = groups.get(term_id, 0)
            expected += n
            missing += max(n - taken_daily[school_id], 0)
        if policy["mode"] in (AttendancePolicy.Mode.LESSON, AttendancePolicy.Mode.BOTH):
            n = lessons[(term_id, date.isoweekday())]
            expected += n
            missing += max(n - taken_lessons[school_id], 0)
        answer[school_id] = (missing, expected)
    return answer


def _local_date(zone, now):
    try:
        return now.astimezone(zoneinfo.ZoneInfo(zone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.date()
