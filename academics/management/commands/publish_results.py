from django.core.management.base import BaseCommand, CommandError

from academics.errors import AcademicsError
from academics.results.publishing import result_publish
from classpoint.bounds import parse_id
from classpoint.scoping import for_school, unscoped
from schools.commands import active_schools


class Command(BaseCommand):
    help = (
        "Publish a term's results to families: one class group, or every class group with pupils that term. "
        "Refuses while scores are missing (listing them) unless given --force-reason. Prints what it did per class."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--term", default="current", help="a term's id, or 'current' (default)")
        parser.add_argument("--class-group", dest="class_group", help="one class group's name (JSS 1A) or id")
        parser.add_argument(
            "--force-reason", dest="force_reason", default="", help="publish although scores are missing, because…"
        )

    @unscoped(reason="an operator's command names its school by slug")
    def handle(self, *args, school, term="current", class_group=None, force_reason="", **options):
        (target,) = active_schools(school)
        with for_school(target):
            chosen = _term(target, term)
            group = _class_group(target, class_group) if class_group else None
            try:
                outcome = result_publish(
                    school=target, actor=None, term=chosen, class_group=group, force_reason=force_reason
                )
            except AcademicsError as exc:
                for line in exc.fields.get("missing", []):
                    self.stderr.write(f"  {line}")
                for field, messages in exc.fields.items():
                    if field != "missing":
                        self.stderr.write(f"  {field}: {' '.join(messages)}")
                raise CommandError(f"{target.slug}: not published. {exc.message}") from None
        self.stdout.write(f"{target.slug}: {chosen}")
        for done in outcome.classes:
            locked = ", scores locked now" if done.locked_now else ""
            missing = f", {done.missing} with scores missing" if done.missing else ""
            self.stdout.write(
                f"  {done.class_group.name}: {done.pupils} pupils: {done.published} published, {done.updated} updated, "
                f"{done.withheld} withheld, {done.unchanged} unchanged{missing}{locked}"
            )
        if outcome.forced_reason:
            self.stdout.write(f"  published with scores missing because: {outcome.forced_reason}")
        if not outcome.classes:
            self.stdout.write("  no class has pupils that term")


def _term(school, value):
    terms = school.terms.select_related("session")
    if value == "current":
        term = terms.filter(is_current=True).first()
        if term is None:
            raise CommandError(f"{school.slug} has no current term: give --term ID.")
        return term
    pk = parse_id(value)
    if pk is None:
        raise CommandError(f"--term must be a term's id or 'current' (got {value!r}).")
    term = terms.filter(pk=pk).first()
    if term is None:
        raise CommandError(f"{school.slug} has no term {value}.")
    return term


def _class_group(school, value):
    groups = school.class_groups
    pk = parse_id(value)
    group = groups.filter(pk=pk).first() if pk is not None else None
    group = group or groups.filter(name__iexact=value.strip()).first()
    if group is None:
        raise CommandError(f"{school.slug} has no class group {value!r}.")
    return group
