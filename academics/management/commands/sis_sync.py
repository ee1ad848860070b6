import datetime

from django.core.management.base import BaseCommand, CommandError

from academics.errors import AcademicsError
from academics.models import SyncRun
from academics.sis.sync import sis_sync
from academics.sis.tally import KINDS, OUTCOMES
from classpoint.scoping import for_school, unscoped
from schools.models import School

ALWAYS = ("created", "updated", "unchanged", "failed")


class Command(BaseCommand):
    help = (
        "Sync one school's pupils, guardians, class groups and current enrollments from its SIS (Aeries or "
        "OneRoster), and its attendance as the connection says; prints the run's counts. The nightly schedule "
        "runs the same for every enabled connection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument(
            "--since", help="YYYY-MM-DD: attendance from this day; OneRoster reads only records changed since"
        )
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")

    @unscoped(reason="an operator's command names its school by slug")
    def handle(self, *args, school, since=None, dry_run=False, **options):
        try:
            since = datetime.date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise CommandError(f"--since must look like 2026-11-23 (got {since!r}).") from exc
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school with slug {school!r}.")
        with for_school(found):
            try:
                run = sis_sync(school=found, since=since, dry_run=dry_run)
            except AcademicsError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{found.slug}: {run.adapter} sync {run.status}{' (dry run: nothing written)' if dry_run else ''} "
            f"in {run.duration_ms} ms"
        )
        for kind in KINDS:
            counts = run.counts.get(kind)
            if counts:
                shown = [name for name in OUTCOMES if counts.get(name) or name in ALWAYS]
                figures = ", ".join(f"{counts.get(name, 0)} {name}" for name in shown)
                self.stdout.write(f"  {kind}: {figures}")
        for error in run.errors[:20]:
            self.stdout.write(f"  ! {error['kind']} {error['external_id']}: {error['message']}")
        if run.error_count > 20:
            self.stdout.write(f"  ... and {run.error_count - 20} more errors (GET .../sis/sync-status/)")
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(f"The sync failed: {run.message}")
