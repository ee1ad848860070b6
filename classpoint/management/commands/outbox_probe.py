import json
import time

from django.core.management.base import BaseCommand, CommandError

from classpoint.outbox import probe

LABELS = [
    ("emitted", "emitted"),
    ("handled_once", "handled once"),
    ("lost", "lost (no effect)"),
    ("duplicated", "duplicated (effect twice)"),
    ("redelivered", "redelivered (handled again, effect kept once)"),
    ("pending", "  still pending"),
    ("claimed", "  still claimed"),
    ("dead", "  dead"),
    ("processed_without_effect", "  processed without effect"),
    ("handling_workers", "worker processes seen"),
    ("seconds_to_last_handling", "seconds from emit to last handling"),
]


class Command(BaseCommand):
    help = (
        "End-to-end probe of the outbox: `emit --events N` writes a run of ops.probe events, the "
        "workers handle them, `verify --run NAME` counts each event's handlings (exit 1 if any was "
        "lost or took effect twice), `purge --run NAME` removes the run."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        emit = actions.add_parser("emit", help="write a run of probe events")
        emit.add_argument("--events", type=int, required=True)
        emit.add_argument("--run", default="", help="the run's name (default: probe-<UTC time>)")
        verify = actions.add_parser("verify", help="count what happened to a run's events")
        verify.add_argument("--run", required=True)
        verify.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the run to settle")
        verify.add_argument("--strict", action="store_true", help="also fail if any event was handled twice")
        verify.add_argument("--json", action="store_true")
        purge = actions.add_parser("purge", help="delete a run's events and records")
        purge.add_argument("--run", required=True)

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _emit(self, *, events, run, **options):
        # A bound, so a typo cannot flood a production queue with millions of rows.
        if not 1 <= events <= 1_000_000:
            raise CommandError("--events must be between 1 and 1000000")
        run = run or probe.new_run_name()
        if len(run) > 64:
            raise CommandError("--run must be at most 64 characters")
        started = time.monotonic()
        try:
            written = probe.emit_run(run=run, events=events)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"emitted {written} {probe.PROBE_EVENT_TYPE} events as run {run} in {time.monotonic() - started:.2f} s"
        )

    def _verify(self, *, run, wait, strict, **options):
        report = probe.wait_for(run, seconds=max(wait, 0.0))
        reasons = probe.broken_promises(report, strict=strict)
        report["settled"] = probe.settled(report)
        report["ok"] = not reasons
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
        else:
            self.stdout.write(f"probe run {run}{'' if report['settled'] else ' (not settled: events still waiting)'}")
            for key, label in LABELS:
                self.stdout.write(f"  {label:<48} {report[key] if report[key] is not None else '-'}")
        if reasons:
            raise CommandError(f"probe run {run}: " + "; ".join(reasons))

    def _purge(self, *, run, **options):
        events, hits = probe.purge_run(run)
        self.stdout.write(f"purged run {run}: {events} events, {hits} handling records")
