from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import unscoped
from schools.errors import SchoolsError
from schools.models import School
from schools.services import api_token_create


class Command(BaseCommand):
    help = "Create (or reuse) a service user with a membership and print its API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="school slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, help="school_admin, registrar, bursar, teacher or viewer")

    @unscoped(reason="an operator command naming its school by slug")
    def handle(self, *args, school, email, role, **options):
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school with slug {school!r}.")
        try:
            token = api_token_create(school=found, email=email, role_key=role)
        except SchoolsError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        self.stdout.write(f"{email} is {role} at {found.slug}; send it as 'Authorization: Token <token>'")
        self.stdout.write(token.key)
