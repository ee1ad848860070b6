"""Attendance figures without personal data: counts and rates by day, week, class group or level.

Nothing here names or numbers a pupil: the rows are the daily sink's counts (past days) and the same
counts computed live for today. A group smaller than the school's minimum (AttendancePolicy.
min_group_size, default 5 pupils) is suppressed, its figures withheld, so a figure cannot single out
a child ("the one pupil of the French set was absent")."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from ..models import AttendanceDaily
from .codes import policy_for
from .daily import FIGURES, daily_figures

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


def _day_rows(*, school, start, end, today):
    """(class_group_id, class name, level, date, figures) for each class and day of the range."""
    names = dict(school.class_groups.values_list("pk", "name"))
    past_end = min(end, today - datetime.timedelta(days=1))
    if start <= past_end:
        stored = (
            AttendanceDaily.objects.for_school(school)
            .filter(date__gte=start, date__lte=past_end)
            .values_list("class_group_id", "level", "date", *FIGURES)
        )
        for group_id, level, date, *counts in stored:
            yield group_id, names.get(group_id, ""), level, date, dict(zip(FIGURES, counts, strict=True))
    if start <= today <= end:
        levels = dict(school.class_groups.values_list("pk", "level"))
        for (group_id, date), counts in daily_figures(school=school, start=today, end=today).items():
            if group_id in levels:
                yield group_id, names.get(group_id, ""), levels[group_id], date, counts


def attendance_summary(*, school, start, end, group_by="day", today=None):
    """SummaryRows for the school days from `start` to `end`, grouped by `group_by`, in order."""
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    today = today or school.local_today()
    minimum = policy_for(school).min_group_size
    totals = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    rolls = defaultdict(lambda: defaultdict(int))  # group key -> date -> pupils on roll
    labels = {}
    for group_id, name, level, date, counts in _day_rows(school=school, start=start, end=min(end, today), today=today):
        if group_by == "day":
            key, label = date.isoformat(), f"{date:%a} {date.day} {date:%b %Y}"
        elif group_by == "week":
            monday = date - datetime.timedelta(days=date.weekday())
            key, label = monday.isoformat(), f"Week of {monday.day} {monday:%b %Y}"
        elif group_by == "class_group":
            key, label = str(group_id), name
        else:
            key, label = level, level
        labels[key] = label
        rolls[key][date] += counts["on_roll"] or counts["marked"]
        for figure in COUNTED:
            totals[key][figure] += counts[figure]
    rows = []
    for key in sorted(totals, key=lambda k: (labels[k], k) if group_by in ("class_group", "level") else k):
        size = max(rolls[key].values(), default=0)
        suppressed = size < minimum
        figures = None if suppressed else totals[key]
        rate = None
        if not suppressed and figures["marked"]:
            rate = round(figures["attended"] / figures["marked"], 4)
        rows.append(
            SummaryRow(
                key=key,
                label=labels[key],
                group_size=None if suppressed else size,
                suppressed=suppressed,
                figures=figures,
                rate=rate,
            )
        )
    return rows
