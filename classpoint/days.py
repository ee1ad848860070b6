"""School-local days for reads grouped by day (the KPI sinks and the dashboard).

A school's day runs from `school.local_day_start(day)` to the next one's, in the school's own time
zone, so a figure "of a day" means the same wherever it is computed. Takes any object with
`local_day_start` and `tzinfo` (a School): the kernel imports no app.
"""

import datetime

from django.db.models.functions import TruncDate

DAY = datetime.timedelta(days=1)


def each_day(start, end):
    """Every date from `start` to `end`, both included."""
    day = start
    while day <= end:
        yield day
        day += DAY


def day_bounds(school, start, end):
    """The moments the school-local days `start` to `end` (both included) begin and end."""
    return school.local_day_start(start), school.local_day_start(end + DAY)


def local_day(expression, school):
    """The school-local date of a timestamp column or expression, for grouping by day in SQL."""
    return TruncDate(expression, tzinfo=school.tzinfo)
