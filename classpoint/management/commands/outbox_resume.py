from django.core.management.base import BaseCommand

from classpoint.maintenance import operator_name
from classpoint.outbox import pause


class Command(BaseCommand):
    help = "Resume a paused event type (see outbox_pause): the next drain takes its waiting events, each once."

    def add_arguments(self, parser):
        parser.add_argument("event_type")

    def handle(self, *args, event_type, **options):
        waiting = pause.resume(event_type=event_type, by=operator_name())
        if waiting is None:
            self.stdout.write(f"{event_type} is not paused (paused: {', '.join(pause.paused_types()) or 'none'})")
            return
        self.stdout.write(f"resumed {event_type}: {waiting} waiting events go to the next drain")
