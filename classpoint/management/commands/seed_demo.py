from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from classpoint.demo import DEMO_PASSWORD, DemoContext, demo_seeders
from classpoint.scoping import unscoped


class Command(BaseCommand):
    help = "Load demo data (idempotent): Greenfield Academy with ~600 students, staff per role, a second school."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=600)

    @unscoped(reason="the demo builds two schools' data")
    def handle(self, *args, students, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo prints passwords and is for dev only (CLASSPOINT_ENV=dev).")
        # Each app seeds its own part, the layers bottom up (classpoint/demo.py).
        context = DemoContext(students=students)
        for seed in demo_seeders():
            seed(context)
        for text, success in context.lines:
            text = text() if callable(text) else text
            self.stdout.write(self.style.SUCCESS(text) if success else text)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for label, email in context.logins:
            self.stdout.write(f"  {label:<40} {email}")
