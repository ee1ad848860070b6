import datetime

from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import unscoped
from fees.collections import overdue_scan
from schools.models import School


class Command(BaseCommand):
    help = "Mark past-due invoices overdue and emit invoice.overdue (at most once per reminder interval)."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="one school's slug (default: every active school)")
        parser.add_argument("--date", help="YYYY-MM-DD to treat as today (default: each school's local date)")

    @unscoped(reason="an operator's scan, one school or all of them")
    def handle(self, *args, school=None, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError("--date must look like 2026-11-23") from exc
        schools = School.objects.filter(status=School.Status.ACTIVE)
        if school:
            schools = schools.filter(slug=school)
            if not schools.exists():
                raise CommandError(f"No active school with slug {school!r}.")
        for s in schools.order_by("slug"):
            marked, emitted = overdue_scan(school=s, today=today)
            self.stdout.write(f"{s.slug}: {marked} newly overdue, {emitted} reminders requested")
