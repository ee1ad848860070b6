import datetime

from django.core.management.base import BaseCommand, CommandError

from academics.attendance.daily import daily_aggregate
from classpoint.scoping import for_school, unscoped
from schools.models import School


def _date(value, option):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{option} must look like 2026-11-23 (got {value!r}).") from exc


class Command(BaseCommand):
    help = (
        "Write the attendance daily sink (AttendanceDaily: counts per class group and school day, no pupil "
        "data). Idempotent: a day written again gets the same rows. Default: yesterday, in each active "
        "school's own time zone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="one day, YYYY-MM-DD")
        parser.add_argument("--from", dest="start", help="first day of a range to backfill, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day of the range (default: each school's yesterday)")
        parser.add_argument("--school", help="one school's slug (default: every active school)")

    @unscoped(reason="an operator's aggregation, one school or all of them")
    def handle(self, *args, date=None, start=None, end=None, school=None, **options):
        if date and (start or end):
            raise CommandError("Give either --date or --from/--to, not both.")
        if end and not start:
            raise CommandError("--to needs --from.")
        day = _date(date, "--date") if date else None
        start = _date(start, "--from") if start else None
        end = _date(end, "--to") if end else None
        if start and end and start > end:
            raise CommandError(f"--from {start} is after --to {end}.")
        schools = School.objects.filter(status=School.Status.ACTIVE)
        if school:
            schools = schools.filter(slug=school)
            if not schools.exists():
                raise CommandError(f"No active school with slug {school!r}.")
        for s in schools.order_by("slug"):
            yesterday = s.local_today() - datetime.timedelta(days=1)
            first, last = (start, end or yesterday) if start else (day or yesterday, day or yesterday)
            if first > last:
                raise CommandError(f"--from {first} is after {s.slug}'s yesterday ({last}).")
            with for_school(s):
                rows = daily_aggregate(school=s, start=first, end=last)
            span = str(first) if first == last else f"{first} to {last}"
            self.stdout.write(f"{s.slug}: {span}: {rows} class-day rows")
