from django.core.management.base import BaseCommand

from classpoint.scoping import unscoped
from payments import services


class Command(BaseCommand):
    help = "Mark pay links unpaid for PAYMENT_INTENT_TTL_HOURS as abandoned (also runs hourly in the cluster)."

    @unscoped(reason="a sweep across every school's pay links")
    def handle(self, *args, **options):
        count = services.intents_abandon_stale()
        self.stdout.write(f"{count} payment intent(s) marked abandoned.")
