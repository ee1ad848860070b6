from django.core.management.base import BaseCommand

from classpoint.scoping import unscoped
from messaging.tasks import sweep


class Command(BaseCommand):
    help = "Queue and send deferred messages whose quiet hours are over; fail sends a dead worker left behind."

    @unscoped(reason="a sweep across every school's deferred messages")
    def handle(self, *args, **options):
        result = sweep()
        self.stdout.write(
            f"Released {result['released']} deferred message(s); failed {result['stuck_failed']} interrupted send(s)."
        )
