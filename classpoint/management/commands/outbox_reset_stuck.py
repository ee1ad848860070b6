from django.conf import settings
from django.core.management.base import BaseCommand

from classpoint.outbox import worker


class Command(BaseCommand):
    help = "Release outbox claims older than N minutes (their worker died), so they are handled again."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-minutes", type=int, default=settings.OUTBOX_STUCK_MINUTES)

    def handle(self, *args, older_than_minutes, **options):
        released = worker.reset_stuck(older_than_minutes=older_than_minutes)
        self.stdout.write(f"released {released} stuck events (claimed more than {older_than_minutes} min ago)")
