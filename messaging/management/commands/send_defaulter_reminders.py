"""`send_defaulter_reminders --school S [--class-group G]`: the defaulters page's action from the
command line (one OVERDUE_NOTICE request per family, at most one per family per school-local day)."""

from django.core.management.base import BaseCommand, CommandError

from classpoint.bounds import parse_id
from classpoint.scoping import unscoped
from fees.collections import reminders_request
from schools.models import ClassGroup, School


class Command(BaseCommand):
    help = "Ask for an overdue reminder to each defaulting family of a school (one batch request)."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="The school's slug.")
        parser.add_argument("--class-group", help="Only this class (its name or id).")

    @unscoped(reason="an operator command naming its school by slug")
    def handle(self, *args, school, class_group=None, **options):
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school {school!r}.")
        group_id = None
        if class_group:
            groups = ClassGroup.objects.for_school(found)
            group = groups.filter(name=class_group).first() or (
                groups.filter(pk=parse_id(class_group)).first() if parse_id(class_group) else None
            )
            if group is None:
                raise CommandError(f"No class {class_group!r} in {found.slug}.")
            group_id = group.pk
        counts = reminders_request(school=found, actor=None, class_group_id=group_id)
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
