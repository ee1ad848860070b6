import json

from django.core.management.base import BaseCommand

from classpoint.outbox import worker


class Command(BaseCommand):
    help = "Print outbox health: pending, stuck, dead, oldest pending age, counts by type (24 h), paused types."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        s = worker.stats()
        if options["json"]:
            self.stdout.write(json.dumps(s, indent=2))
            return
        self.stdout.write(f"pending:                 {s['pending']}")
        self.stdout.write(f"  claimed:               {s['claimed']}")
        self.stdout.write(f"stuck:                   {s['stuck']}")
        self.stdout.write(f"dead:                    {s['dead']}")
        self.stdout.write(f"oldest pending age (s):  {s['oldest_pending_age_seconds']}")
        self.stdout.write("events by type, last 24 h:")
        for event_type, total in s["by_type_24h"].items():
            self.stdout.write(f"  {event_type:<32} {total}")
        if not s["by_type_24h"]:
            self.stdout.write("  (none)")
        self.stdout.write("paused types (outbox_pause; their events wait):")
        for row in s["paused"]:
            since = row["paused_at"][:19].replace("T", " ")
            self.stdout.write(f"  {row['event_type']:<32} {row['waiting']} waiting, paused {since} UTC")
        if not s["paused"]:
            self.stdout.write("  (none)")
