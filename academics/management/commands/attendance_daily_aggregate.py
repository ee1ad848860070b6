from django.core.management.base import BaseCommand, CommandError

from academics.attendance.daily import daily_aggregate
from classpoint.scoping import for_school, unscoped
from schools.commands import Days, active_schools, add_day_arguments


class Command(BaseCommand):
    help = (
        "Write the attendance daily sink (AttendanceDaily: counts per class group and school day, no pupil "
        "data). Idempotent: a day written again gets the same rows. Default: yesterday, in each active "
        "school's own time zone."
    )

    def add_arguments(self, parser):
        add_day_arguments(parser)

    @unscoped(reason="an operator's aggregation, one school or all of them")
    def handle(self, *args, date=None, start=None, end=None, school=None, **options):
        days = Days.from_options(date=date, start=start, end=end)
        for s in active_schools(school):
            first, last, _is_range = days.for_school(s)
            if first > last:
                raise CommandError(f"--from {first} is after {s.slug}'s yesterday ({last}).")
            with for_school(s):
                rows = daily_aggregate(school=s, start=first, end=last)
            span = str(first) if first == last else f"{first} to {last}"
            self.stdout.write(f"{s.slug}: {span}: {rows} class-day rows")
