import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from classpoint.outbox import worker


class Command(BaseCommand):
    help = "Run the outbox worker loop (for a supervised process; the task cluster also drains)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=50)
        parser.add_argument("--sleep-ms", type=int, default=250, help="pause when nothing is ready")
        parser.add_argument("--once", action="store_true", help="drain what is ready, then exit")

    def handle(self, *args, batch_size, sleep_ms, once, **options):
        if batch_size < 1 or sleep_ms < 0:
            self.stderr.write("--batch-size must be at least 1 and --sleep-ms not negative")
            raise SystemExit(2)
        name = worker.worker_name()
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        self.stdout.write(f"outbox worker {name}: batch {batch_size}, sleep {sleep_ms} ms")
        total = 0
        try:
            while not stopping:
                handled = worker.drain(batch_size=batch_size, worker=name, max_seconds=30)
                total += handled
                if once:
                    break
                if not handled:
                    close_old_connections()
                    time.sleep(sleep_ms / 1000)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"handled {total} events")
