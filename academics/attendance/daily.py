"""The daily sink (AttendanceDaily): each class group's counts for a school day, computed from the
marks and written by an idempotent upsert, so a day aggregated twice (a late correction, a rerun of
the nightly job) gets the same rows. Past days of the summary read these rows; today is computed
live by the same function, never stored half-way through the day.

A pupil's day counts once (see AttendanceDaily): the database picks each pupil's mark for the day by
severity in one grouped query, and the counts are summed here, so a year of a large school is a few
hundred thousand small rows, not millions of marks."""

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, Max, Min, Q, Value, When
from django.utils import timezone

from classpoint.scoping import for_school, unscoped
from schools.models import Enrollment, School

from ..models import AbsenceCode, AttendanceDaily, AttendanceMark
from .codes import policy_for

log = logging.getLogger(__name__)
Kind = AbsenceCode.Kind
FIGURES = ("on_roll", "marked", "present", "absent", "excused", "late", "attended")

# The day's mark is the most severe one (absent, then excused, late, present). The rank's last digit
# says whether the code counts as a day at school, so the pick carries both in one number.
_RANK = Case(
    When(kind=Kind.ABSENT, then=Value(10)),
    When(kind=Kind.EXCUSED, then=Value(20)),
    When(kind=Kind.LATE, then=Value(30)),
    default=Value(40),
    output_field=IntegerField(),
)
_ATTENDS = Case(
    When(Q(kind__in=[Kind.PRESENT, Kind.LATE]) | Q(code__counts_as_present=True), then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
_KIND_OF_RANK = {1: Kind.ABSENT, 2: Kind.EXCUSED, 3: Kind.LATE, 4: Kind.PRESENT}


def _pupil_days(*, school, start, end, class_group_ids=None):
    """(class_group_id, date, kind, attended) per pupil and day, one grouped query."""
    marks = AttendanceMark.objects.for_school(school).filter(date__gte=start, date__lte=end)
    if class_group_ids is not None:
        marks = marks.filter(register__class_group_id__in=class_group_ids)
    rows = (
        marks.values("register__class_group_id", "date", "student_id")
        .annotate(
            # A daily mark wins over lessons (rank + attends, offset so any daily beats any lesson).
            daily=Max(Case(When(slot__isnull=True, then=_RANK + _ATTENDS), default=None, output_field=IntegerField())),
            worst=Min(_RANK + _ATTENDS),
        )
        .order_by()
        .values_list("register__class_group_id", "date", "daily", "worst")
    )
    for group_id, date, daily, worst in rows:
        pick = daily if daily is not None else worst
        yield group_id, date, _KIND_OF_RANK[pick // 10], pick % 10


def _rolls(*, school, start, end):
    """(class_group_id, date) -> pupils enrolled that day, for the school days between start and end."""
    enrollments = (
        Enrollment.objects.for_school(school)
        .filter(term__start_date__lte=end, term__end_date__gte=start)
        .values_list("class_group_id", "term__start_date", "term__end_date", "started_on", "ended_on", "status")
    )
    policy = policy_for(school)
    rolls = defaultdict(int)
    for group_id, term_start, term_end, started, ended, status in enrollments:
        if ended is None and status != Enrollment.Status.ACTIVE:
            continue
        first = max(start, started or term_start, term_start)
        last = min(end, term_end, (ended - datetime.timedelta(days=1)) if ended else end)
        day = first
        while day <= last:
            if day.isoweekday() in policy.school_days:
                rolls[(group_id, day)] += 1
            day += datetime.timedelta(days=1)
    return rolls


def daily_figures(*, school, start, end):
    """{(class_group_id, date): {figure: n}} for the days between `start` and `end` (inclusive) with
    a pupil on roll or a mark. Reads the marks; writes nothing."""
    figures = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for key, n in _rolls(school=school, start=start, end=end).items():
        figures[key]["on_roll"] = n
    for group_id, date, kind, attended in _pupil_days(school=school, start=start, end=end):
        row = figures[(group_id, date)]
        row["marked"] += 1
        row[kind] += 1
        row["attended"] += attended
    return figures


@transaction.atomic
def daily_aggregate(*, school, start, end=None):
    """Write the sink for the days from `start` to `end` (default: that one day): upsert each class
    group's row. Returns the number of rows written."""
    end = end or start
    figures = daily_figures(school=school, start=start, end=end)
    levels = dict(school.class_groups.values_list("pk", "level"))
    rows = [
        AttendanceDaily(school=school, class_group_id=group_id, date=date, level=levels.get(group_id, ""), **counts)
        for (group_id, date), counts in sorted(figures.items(), key=lambda item: (item[0][1], item[0][0]))
        if group_id in levels
    ]
    # Rows of the range that have nothing left to count go (a class emptied); the rest are upserted in
    # place, so a concurrent run of the same day ends with the same rows, not a unique violation.
    keep = {(row.class_group_id, row.date) for row in rows}
    stored = AttendanceDaily.objects.for_school(school).filter(date__gte=start, date__lte=end)
    stale = [
        pk for pk, group_id, date in stored.values_list("pk", "class_group_id", "date") if (group_id, date) not in keep
    ]
    AttendanceDaily.objects.for_school(school).filter(pk__in=stale).delete()
    AttendanceDaily.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["school", "class_group", "date"],
        update_fields=["level", *FIGURES, "updated_at"],
        batch_size=2000,
    )
    return len(rows)


def daily_aggregate_due_schools(now=None):
    """The hourly schedule behind "nightly, school time": for each active school whose clock shows
    settings.KPI_AGGREGATE_LOCAL_HOUR (02:00), write yesterday's rows; later in the day, a school
    whose yesterday has marks but no rows yet (the scheduler was down at its hour) is caught up. A
    day edited afterwards is rewritten by the edit itself (registers.register_submit). One school's
    failure is logged and does not stop the others. Returns {"aggregated": [...], "failed": [...]}."""
    now = now or timezone.now()
    hour = settings.KPI_AGGREGATE_LOCAL_HOUR
    with unscoped(reason="the nightly attendance aggregation serves every active school"):
        schools = list(School.objects.filter(status=School.Status.ACTIVE).order_by("slug"))
    done, failed = [], []
    for school in schools:
        local = now.astimezone(school.tzinfo)
        yesterday = local.date() - datetime.timedelta(days=1)
        if local.hour < hour:
            continue
        try:
            with for_school(school):
                if local.hour != hour and not _unaggregated(school=school, day=yesterday):
                    continue
                daily_aggregate(school=school, start=yesterday)
            done.append(school.slug)
        except Exception:  # noqa: BLE001 - one school's failure must not leave the others without their day
            log.exception("attendance aggregation failed for %s", school.slug)
            failed.append(school.slug)
    return {"aggregated": done, "failed": failed}


def _unaggregated(*, school, day):
    marked = AttendanceMark.objects.for_school(school).filter(date=day).exists()
    return marked and not AttendanceDaily.objects.for_school(school).filter(date=day).exists()
