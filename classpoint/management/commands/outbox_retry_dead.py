from django.core.management.base import BaseCommand

from classpoint.outbox import worker


class Command(BaseCommand):
    help = "Put dead-lettered outbox events back in the queue (attempts reset)."

    def add_arguments(self, parser):
        parser.add_argument("--event-type", default=None)

    def handle(self, *args, event_type, **options):
        count = worker.retry_dead(event_type=event_type)
        self.stdout.write(f"requeued {count} dead events" + (f" of type {event_type}" if event_type else ""))
