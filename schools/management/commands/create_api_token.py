from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import unscoped
from schools.errors import SchoolsError
from schools.models import School
from schools.services.schools import api_token_create


class Command(BaseCommand):
    help = (
        "Make an API token for a school (a service user of its own with the role) and print the key on the "
        "last line. The key is shown this once: only its hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="school slug")
        parser.add_argument("--name", help="what uses the token, e.g. 'Finance sync'")
        parser.add_argument("--email", help="(older scripts) used as the token's name when --name is not given")
        parser.add_argument("--role", required=True, help="school_admin, registrar, bursar, teacher or viewer")

    @unscoped(reason="an operator command naming its school by slug")
    def handle(self, *args, school, name, email, role, **options):
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school with slug {school!r}.")
        name = name or email
        if not name:
            raise CommandError("Name the token with --name.")
        try:
            issued = api_token_create(school=found, name=name, role_key=role)
        except SchoolsError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        self.stdout.write(
            f"Token “{name}” ({issued.token.prefix}…) acts as {role} at {found.slug}; "
            "send it as 'Authorization: Token <key>'. It is shown only now:"
        )
        self.stdout.write(issued.key)
