from django.core.management.base import BaseCommand, CommandError

from classpoint.maintenance import operator_name
from classpoint.outbox import pause


class Command(BaseCommand):
    help = (
        "Pause the handlers of one event type: from the next batch, no worker claims its events; they wait "
        "(nothing is lost, attempts are kept, nothing dead-letters) until `outbox_resume TYPE`. Events "
        "already claimed finish. `--list` shows the paused types and how many events wait."
    )

    def add_arguments(self, parser):
        parser.add_argument("event_type", nargs="?", help="a registered event type, e.g. messaging.requested")
        parser.add_argument("--reason", default="", help="why (kept with the pause, shown by --list and audited)")
        parser.add_argument("--list", action="store_true", dest="list_paused", help="list paused types instead")

    def handle(self, *args, event_type, reason, list_paused, **options):
        if list_paused:
            if event_type:
                raise CommandError("--list takes no event type")
            return self._list()
        if not event_type:
            raise CommandError("name an event type to pause, or use --list")
        try:
            row, created = pause.pause(event_type=event_type, by=operator_name(), reason=reason.strip()[:500])
        except pause.UnknownEventType as exc:
            raise CommandError(str(exc)) from None
        if created:
            self.stdout.write(
                f"paused {event_type}: workers leave its events waiting until `outbox_resume {event_type}`"
            )
        else:
            self.stdout.write(
                f"{event_type} was already paused (since {row.paused_at:%Y-%m-%d %H:%M:%S %Z} by {row.paused_by})"
            )

    def _list(self):
        rows = pause.paused_summary()
        if not rows:
            self.stdout.write("no event types are paused")
            return
        self.stdout.write(f"{'event type':<32} {'waiting':>8}  {'paused at (UTC)':<19}  {'by':<24} reason")
        for row in rows:
            when = row["paused_at"][:19].replace("T", " ")
            line = f"{row['event_type']:<32} {row['waiting']:>8}  {when:<19}  {row['paused_by']:<24} {row['reason']}"
            self.stdout.write(line.rstrip())
