"""Attendance figures without personal data: counts and rates by day, week, class group or level.

Nothing here names or numbers a pupil: the rows are the daily sink's counts (past days) and the same
counts computed live for today. A group smaller than the school's minimum (AttendancePolicy.
min_group_size, default 5 pupils) is suppressed, its figures withheld, so a figure cannot single out
a child ("the one pupil of the French set was absent")."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, Sum

from ..models import AttendanceDaily
from .codes import policy_for
from .daily import daily_figures

GROUPINGS = ("day", "week", "class_group", "level")
COUNTED = ("marked", "present", "absent", "excused", "late", "attended")


@dataclass
class SummaryRow:
    key: str  # the day or week's Monday (ISO date), the class group's name, or the level
    label: str
    group_size: int | None  # the most pupils on roll in the group on one day (withheld when suppressed)
    suppressed: bool
    figures: dict | None  # COUNTED -> n, None when suppressed
    rate: float | None  # attended / marked pupil-days


def _label(group_by, key, names):
    if group_by == "day":
        return f"{key:%a} {key.day} {key:%b %Y}"
    if group_by == "week":
        return f"Week of {key.day} {key:%b %Y}"
    if group_by == "class_group":
        return names.get(key, "")
    return key


def _key(group_by, group_id, level, date):
    if group_by == "day":
        return date
    if group_by == "week":
        return date - datetime.timedelta(days=date.weekday())
    return group_id if group_by == "class_group" else level


def _stored(*, school, start, end, group_by):
    """(key, date or None, pupils on roll, {figure: n}) from the sink, grouped in the database: per key
    and day (the day's roll is the sum over classes), or per class (its roll is its largest)."""
    rows = AttendanceDaily.objects.for_school(school).filter(date__gte=start, date__lte=end).order_by()
    sums = {figure: Sum(figure) for figure in COUNTED}
    if group_by == "class_group":
        for row in rows.values("class_group_id").annotate(roll=Max("on_roll"), **sums):
            yield row["class_group_id"], None, row["roll"], row
        return
    by = {"day": "date", "week": "date", "level": "level"}[group_by]
    fields = ["date"] if by == "date" else ["level", "date"]
    for row in rows.values(*fields).annotate(roll=Sum("on_roll"), **sums):
        yield _key(group_by, None, row.get("level"), row["date"]), row["date"], row["roll"], row


def _live(*, school, today, group_by):
    """The same for today, counted from the marks (never stored half-way through the day)."""
    levels = dict(school.class_groups.values_list("pk", "level"))
    for (group_id, date), counts in daily_figures(school=school, start=today, end=today).items():
        if group_id in levels:
            yield _key(group_by, group_id, levels[group_id], date), date, counts["on_roll"], counts


def attendance_summary(*, school, start, end, group_by="day", today=None):
    """SummaryRows for the school days from `start` to `end`, grouped by `group_by`, in order."""
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    today = today or school.local_today()
    minimum = policy_for(school).min_group_size
    totals = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    rolls = defaultdict(lambda: defaultdict(int))  # group key -> day (None: any) -> pupils on roll
    end = min(end, today)
    parts = []
    if start <= min(end, today - datetime.timedelta(days=1)):
        parts.append(
            _stored(school=school, start=start, end=min(end, today - datetime.timedelta(days=1)), group_by=group_by)
        )
    if start <= today <= end:
        parts.append(_live(school=school, today=today, group_by=group_by))
    for part in parts:
        for key, date, roll, counts in part:
            day = None if group_by == "class_group" else date
            rolls[key][day] = max(rolls[key][day], roll) if day is None else rolls[key][day] + roll
            for figure in COUNTED:
                totals[key][figure] += counts[figure] or 0
    names = dict(school.class_groups.values_list("pk", "name")) if group_by == "class_group" else {}
    labels = {key: _label(group_by, key, names) for key in totals}
    rows = []
    for key in sorted(totals, key=lambda k: (labels[k], str(k)) if group_by in ("class_group", "level") else k):
        size = max(rolls[key].values(), default=0)
        suppressed = size < minimum
        figures = None if suppressed else totals[key]
        rate = None
        if not suppressed and figures["marked"]:
            rate = round(figures["attended"] / figures["marked"], 4)
        rows.append(
            SummaryRow(
                key=key.isoformat() if isinstance(key, datetime.date) else str(key),
                label=labels[key],
                group_size=None if suppressed else size,
                suppressed=suppressed,
                figures=figures,
                rate=rate,
            )
        )
    return rows
