"""What operators' day-by-day commands share (`kpi_daily_aggregate`, `attendance_daily_aggregate`):
the same options (`--date`, or `--from`/`--to`, and `--school`), checked the same way, and each
active school's days in its own time zone (default: its yesterday)."""

import datetime
from dataclasses import dataclass

from django.core.management.base import CommandError

from .models import School


def add_day_arguments(parser):
    parser.add_argument("--date", help="one day, YYYY-MM-DD")
    parser.add_argument("--from", dest="start", help="first day of a range to backfill, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", help="last day of the range (default: each school's yesterday)")
    parser.add_argument("--school", help="one school's slug (default: every active school)")


def _date(value, option):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option} must look like 2026-11-23 (got {value!r}).") from exc


@dataclass(frozen=True)
class Days:
    """The days the options name: one `day`, a range from `start` (to `end`), or neither (yesterday)."""

    day: datetime.date | None
    start: datetime.date | None
    end: datetime.date | None

    @classmethod
    def from_options(cls, *, date=None, start=None, end=None):
        if date and (start or end):
            raise CommandError("Give either --date or --from/--to, not both.")
        if end and not start:
            raise CommandError("--to needs --from.")
        days = cls(
            day=_date(date, "--date") if date else None,
            start=_date(start, "--from") if start else None,
            end=_date(end, "--to") if end else None,
        )
        if days.start and days.end and days.start > days.end:
            raise CommandError(f"--from {days.start} is after --to {days.end}.")
        return days

    def for_school(self, school):
        """(first, last, is_range) for `school`: its yesterday where the options leave a day open."""
        yesterday = school.local_today() - datetime.timedelta(days=1)
        if self.start:
            return self.start, self.end or yesterday, True
        day = self.day or yesterday
        return day, day, False


def active_schools(slug=None):
    """The active schools a command runs for (one by slug, or all), in slug order; a slug that names
    no active school is the operator's mistake, said plainly. Call it where scopes are off."""
    schools = School.objects.filter(status=School.Status.ACTIVE)
    if slug:
        schools = schools.filter(slug=slug)
        if not schools.exists():
            raise CommandError(f"No active school with slug {slug!r}.")
    return list(schools.order_by("slug"))
