import json
import sys

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classpoint.ops_checks import FAIL, OK, WARN, as_dicts, exit_code, run_checks
from classpoint.scoping import unscoped

MARKS = {OK: "ok", WARN: "WARN", FAIL: "FAIL"}


class Command(BaseCommand):
    help = (
        "The morning checklist in one command: database (and replicas), cache, outbox lag, stuck and dead "
        "events, worker heartbeat, scheduler, task failures, Alertmanager alerts (when ALERTMANAGER_URL is "
        "set), and the checks apps declare in <app>/ops_checks.py (last SIS sync per school, yesterday's KPI "
        "aggregates per active school). Prints a table, then what to do for every check that is not ok. "
        "Exit code: 0 when every check is ok, 1 when any warns (and none fails), 2 when any fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        parser.add_argument("--school", help="one school's slug: limits the per-school checks to it")

    @unscoped(reason="the operator's checklist reads platform tables and every school's sync and KPI rows")
    def handle(self, *args, school=None, **options):
        if school:
            school_model = apps.get_model(settings.CLASSPOINT_SCHOOL_MODEL)
            if not school_model.objects.filter(slug=school).exists():
                raise CommandError(f"No school with slug {school!r}.")
        results = run_checks(school=school)
        code = exit_code(results)
        if options["json"]:
            overall = {0: OK, 1: WARN, 2: FAIL}[code]
            self.stdout.write(json.dumps({"status": overall, "checks": as_dicts(results)}, indent=2))
        else:
            self._table(results)
        # Not CommandError: a warning is a reading, not a crash, and cron/monitoring read the code.
        if code:
            sys.exit(code)

    def _table(self, results):
        width = max(len(r.label) for r in results)
        self.stdout.write(f"{'STATUS':<6}  {'CHECK':<{width}}  DETAIL")
        for r in results:
            line = f"{MARKS[r.status]:<6}  {r.label:<{width}}  {r.detail}"
            style = {OK: self.style.SUCCESS, WARN: self.style.WARNING, FAIL: self.style.ERROR}[r.status]
            self.stdout.write(style(line) if r.status != OK else line)
        todo = [r for r in results if r.status != OK]
        counts = {s: sum(1 for r in results if r.status == s) for s in (OK, WARN, FAIL)}
        self.stdout.write("")
        self.stdout.write(f"{counts[OK]} ok, {counts[WARN]} warning(s), {counts[FAIL]} failure(s)")
        if todo:
            self.stdout.write("\nWhat to do:")
            for r in sorted(todo, key=lambda r: r.status != FAIL):
                self.stdout.write(f"  [{MARKS[r.status]}] {r.label}: {r.action}")
