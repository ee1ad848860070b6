from django.core.management.base import BaseCommand, CommandError

from classpoint.scoping import unscoped
from schools.errors import SchoolsError
from schools.services import school_provision


class Command(BaseCommand):
    help = "Provision a school: profile, <slug>.classpoint.ng domain, default roles, first admin (invited)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--timezone", default="Africa/Lagos")
        parser.add_argument("--currency", default="NGN")
        parser.add_argument("--country", default="NG")

    @unscoped(reason="platform operators provision schools")
    def handle(self, *args, **o):
        try:
            school, link = school_provision(
                slug=o["slug"],
                name=o["name"],
                admin_email=o["admin_email"],
                timezone=o["timezone"],
                currency=o["currency"],
                country=o["country"],
            )
        except SchoolsError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
            raise CommandError(f"{exc.message} {details}") from exc
        self.stdout.write(self.style.SUCCESS(f"Provisioned {school.name} ({school.slug})"))
        self.stdout.write(f"domain: {school.domains.get(is_primary=True).hostname}")
        self.stdout.write(f"admin invitation link (valid 3 days): {link}")
