"""`manage.py rollover --school SLUG [--dry-run] [--to-session NAME]`: the year-end rollover with the
default plan (each class to the next level's class with the same arm, the final year graduating, the
next session's dates and terms a year on). Prints the plan and what it did or would do; exits
non-zero when the rollover is not open yet or its plan has problems (a class over its places, a class
with nowhere to go), changing nothing. Run twice, the second run changes nothing and says so."""

from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import for_school, unscoped
from schools.errors import SchoolsError
from schools.models import School
from schools.rollover_plan import default_plan, load_roll, outcome_of, rollover_state
from schools.services.rollover import rollover_run


class Command(BaseCommand):
    help = "Roll a school over into its next session with the default class mapping (try --dry-run first)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="school slug")
        parser.add_argument("--dry-run", action="store_true", help="print the outcome only; change nothing")
        parser.add_argument("--to-session", help="name of the new session (default: the next, e.g. 2027/2028)")

    def handle(self, *args, school, dry_run, to_session=None, **options):
        with unscoped(reason="an operator command naming its school by slug"):
            found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school with slug {school!r}.")
        with for_school(found):
            self._run(found, dry_run=dry_run, to_session=to_session)

    def _run(self, school, *, dry_run, to_session):
        state = rollover_state(school)
        if not state.ready:
            # Run again after it rolled over: the school is in the first term of the session it
            # rolled into (or back in the session it rolled from), and there is nothing to do.
            just_rolled = state.previous is not None and state.terms and state.term == state.terms[0]
            done = state.done or (state.previous if just_rolled else None)
            if done is not None:
                self.stdout.write(
                    f"{school.slug}: already rolled over from {done.from_session} into {done.to_session} "
                    f"on {done.created_at:%Y-%m-%d}; nothing to do."
                )
                return
            raise CommandError(f"{school.slug}: {state.reason}")
        plan = default_plan(school, state)
        if to_session:
            plan.name = to_session.strip()
        outcome = outcome_of(school, state, plan, load_roll(school, state.term))
        self._report(school, state, outcome, dry_run=dry_run)
        problems = [f"{key}: {m}" for key, messages in outcome.errors.items() for m in messages] + outcome.problems
        if problems:
            raise CommandError("Not rolled over, nothing changed:\n  " + "\n  ".join(problems))
        if dry_run:
            self.stdout.write("Dry run: nothing changed.")
            return
        try:
            result = rollover_run(
                school=school, actor=None, from_session_id=state.session.pk, plan=plan, fingerprint=outcome.fingerprint
            )
        except SchoolsError as exc:
            raise CommandError(f"Not rolled over, nothing changed: {exc.message}") from exc
        rollover = result.rollover
        if not result.created:
            self.stdout.write(f"{state.session} was already rolled over into {rollover.to_session}; nothing changed.")
            return
        self.stdout.write(
            f"Rolled over into {rollover.to_session}: "
            + ", ".join(f"{n} {what}" for what, n in rollover.summary.items() if what != "classes")
            + f". Current term: {school.current_term()}."
        )

    def _report(self, school, state, outcome, *, dry_run):
        w = self.stdout.write
        plan = outcome.plan
        verb = "would open" if dry_run else "opens"
        w(f"{school.slug}: {state.session} ({state.term.name} current) -> {plan.name}")
        if outcome.existing_session is not None:
            terms = ", ".join(t.name for t in outcome.existing_terms)
            w(f"  uses the existing session {outcome.existing_session} ({terms})")
        else:
            w(f"  {verb} {plan.name}: {plan.start_date} to {plan.end_date}")
            for term in plan.terms:
                w(f"    {term.name}: {term.start_date} to {term.end_date}")
        for row in outcome.classes:
            where = "graduates" if row.graduate else (f"-> {row.target}" if row.target else "-> (no class)")
            counts = [
                f"{len(row.promoted)} promoted" if row.promoted else "",
                f"{len(row.graduating)} graduating" if row.graduating else "",
                f"{len(row.skipped)} not carried" if row.skipped else "",
            ]
            w(f"  {row.group} {where}: " + ", ".join(c for c in counts if c))
        for entry in outcome.intake:
            flag = "  OVER CAPACITY" if entry.over else ""
            w(f"  {entry.group}: {entry.total} of {entry.group.capacity} places{flag}")
        totals = outcome.summary()
        w("  total: " + ", ".join(f"{n} {what}" for what, n in totals.items() if what != "classes"))
