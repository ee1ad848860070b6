import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from classpoint import maintenance


class Command(BaseCommand):
    help = (
        "Maintenance mode for the whole platform: `on` makes every write (POST, PUT, PATCH, DELETE) answer "
        "503 with Retry-After, and staff pages show a banner; reads, sign-in, payment webhooks, provider "
        "callbacks and superusers in the Django admin go on. The switch is a database row that every web "
        "node reads per request (no cache): it takes effect at each node's next request, without a restart. "
        "`on` again changes the message or Retry-After; `status` prints the current state."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument("--message", default=None, help="shown on the banner, the 503 page and API errors")
        parser.add_argument(
            "--retry-after",
            type=int,
            default=None,
            help=f"seconds clients are told to wait (Retry-After); default {maintenance.DEFAULT_RETRY_AFTER}",
        )

    def handle(self, *args, action, message, retry_after, **options):
        if action != "on" and (message is not None or retry_after is not None):
            raise CommandError("--message and --retry-after go with `on`")
        by = maintenance.operator_name()
        if action == "on":
            try:
                state, outcome = maintenance.maintenance_on(by=by, message=message, retry_after=retry_after)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                {
                    "started": "maintenance turned ON",
                    "updated": "maintenance was already on: message / retry-after updated",
                    "unchanged": "maintenance was already on (unchanged)",
                }[outcome]
            )
        elif action == "off":
            state, changed = maintenance.maintenance_off(by=by)
            self.stdout.write("maintenance turned OFF" if changed else "maintenance was already off")
        else:
            state = maintenance.read_state()
        self._status(state)

    def _status(self, state):
        if state.since is None:
            self.stdout.write("maintenance: off (never turned on)")
            return
        since = state.since.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        minutes = round((timezone.now() - state.since).total_seconds() / 60)
        self.stdout.write(
            f"maintenance: {'ON' if state.enabled else 'off'} since {since} ({minutes} min) by {state.set_by}"
        )
        if state.enabled:
            self.stdout.write(f"message:     {state.message or '(none)'}")
            self.stdout.write(f"retry-after: {state.retry_after} s")
            self.stdout.write(
                "writes answer 503; reads, sign-in, payment webhooks, provider callbacks and superusers' admin go on"
            )
