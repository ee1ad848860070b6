import datetime

from django.core.management.base import BaseCommand, CommandError

from academics.interventions.scan import interventions_scan
from classpoint.scoping import for_school, unscoped
from schools.commands import active_schools


class Command(BaseCommand):
    help = (
        "Draft truancy interventions (letters 1-3, SARB referral) for pupils who crossed a threshold this "
        "school year, once each; cancel drafts a correction has undone. Default: today, every active school."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", help="one school's slug (default: every active school)")
        parser.add_argument("--date", help="scan up to this day, YYYY-MM-DD (default: each school's today)")

    @unscoped(reason="an operator's scan, one school or all of them")
    def handle(self, *args, school=None, date=None, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date must look like 2026-11-23 (got {date!r}).") from exc
        for s in active_schools(school):
            with for_school(s):
                result = interventions_scan(school=s, date=day)
            made = ", ".join(f"{n} {kind}" for kind, n in sorted(result["created"].items())) or "nothing new"
            self.stdout.write(f"{s.slug}: drafted {made}; cancelled {result['cancelled']}")
