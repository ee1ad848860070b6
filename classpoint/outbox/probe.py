"""An operator's end-to-end probe of the event pipeline (`manage.py outbox_probe`): emit a run of
`ops.probe` events, let the deployment's workers handle them like any other, then count what
happened to each one. Used by `scripts/chaos` while it kills workers, and useful on its own after a
deploy or an incident ("is anything draining, and does it lose or repeat events?").

What "exactly once" can mean here. The worker (worker.py) runs each handler in a transaction of its
own and stamps `processed_at` afterwards, in a separate statement, for the whole claimed batch. A
worker killed between the two leaves events whose handlers' writes are committed but which are still
claimed and unprocessed; once `outbox_reset_stuck` releases them they are handled again. Delivery is
therefore at least once, and only a handler can make its *effect* exactly once, as every handler is
asked to (registry.handles). This one does it the way a careful app handler would: it locks the
event's row, then looks for its own earlier effect. It still writes a row for every handling (a
repeat with `first` false), so a run reports both figures: effects, exactly one per event or a
promise is broken, and redeliveries, expected after a crash and proof it was survived, not hidden.
"""

import time

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from ..models import OutboxEvent, OutboxProbeHit
from .emit import emit_many
from .registry import handles

PROBE_EVENT_TYPE = "ops.probe"


def new_run_name():
    return timezone.now().strftime("probe-%Y%m%d-%H%M%S")


@handles(PROBE_EVENT_TYPE)
def record_hit(event):
    run = str(event.payload.get("run", ""))
    # The row lock makes a second, concurrent handling of the same event (a claim released while its
    # worker was only slow, not dead) wait until the first commits, and then see its effect. Without
    # it both would read "no effect yet" and both would record one.
    list(OutboxEvent.objects.select_for_update().filter(pk=event.pk).values_list("pk", flat=True))
    first = not OutboxProbeHit.objects.filter(run=run, event_id=event.pk, first=True).exists()
    OutboxProbeHit.objects.create(run=run, event_id=event.pk, first=first, worker=event.claimed_by[:100])


def emit_run(*, run, events):
    """Write `events` probe events for `run` in one transaction (PostgreSQL COPY from 500 up), so
    the workers see the whole run at once. Platform events: no school, handled unscoped."""
    if OutboxEvent.objects.filter(event_type=PROBE_EVENT_TYPE, payload__run=run).exists():
        raise ValueError(f"probe run {run} exists already; purge it or pick another name")
    with transaction.atomic():
        return emit_many(school=None, events=[(PROBE_EVENT_TYPE, {"run": run, "seq": i}, None) for i in range(events)])


def _events(run):
    return OutboxEvent.objects.filter(event_type=PROBE_EVENT_TYPE, payload__run=run)


def run_report(run):
    """What happened to each event of `run`: figures by event, never by row, so one event handled
    twice counts once under `redelivered` and is not mistaken for two events handled once."""
    state = {
        pk: ("processed" if processed else "dead" if dead else "claimed" if claimed else "pending")
        for pk, processed, dead, claimed in _events(run).values_list("pk", "processed_at", "dead_at", "claimed_at")
    }
    hits = {
        row["event_id"]: (row["rows"], row["effects"])
        for row in OutboxProbeHit.objects.filter(run=run)
        .values("event_id")
        .annotate(rows=Count("id"), effects=Count("id", filter=Q(first=True)))
    }
    report = {"run": run, "emitted": len(state), "handled_once": 0, "lost": 0, "duplicated": 0, "redelivered": 0}
    report.update({"pending": 0, "claimed": 0, "dead": 0, "processed_without_effect": 0})
    for pk, status in state.items():
        rows, effects = hits.get(pk, (0, 0))
        if status in ("pending", "claimed", "dead"):
            report[status] += 1
        if effects == 0:
            report["lost"] += 1
            if status == "processed":  # the worker marked it done, yet its effect never committed
                report["processed_without_effect"] += 1
        elif effects == 1:
            report["handled_once"] += 1
        else:
            report["duplicated"] += 1
        report["redelivered"] += rows > 1
    report["orphan_hits"] = sum(1 for pk in hits if pk not in state)
    span = OutboxProbeHit.objects.filter(run=run).aggregate(first=Min("handled_at"), last=Max("handled_at"))
    started = _events(run).aggregate(m=Min("created_at"))["m"]
    report["handling_workers"] = OutboxProbeHit.objects.filter(run=run).values("worker").distinct().count()
    report["seconds_to_last_handling"] = round((span["last"] - started).total_seconds(), 1) if span["last"] else None
    return report


def settled(report):
    """Nothing of the run is waiting for a worker: each event is processed or dead."""
    return report["pending"] == 0 and report["claimed"] == 0


def wait_for(run, *, seconds, poll=1.0):
    """The run's report once it has settled, or when `seconds` have passed, whichever is first."""
    deadline = time.monotonic() + seconds
    report = run_report(run)
    while not settled(report) and time.monotonic() < deadline:
        time.sleep(min(poll, max(deadline - time.monotonic(), 0)))
        report = run_report(run)
    return report


def broken_promises(report, *, strict=False):
    """The reasons a run fails: an event without its effect, or with it twice. `strict` also counts
    redeliveries, which the outbox allows (at least once) but a caller may want to see as a failure."""
    reasons = []
    if report["emitted"] == 0:
        reasons.append("no events in this run")
    if report["lost"]:
        reasons.append(f"{report['lost']} events without their effect")
    if report["duplicated"]:
        reasons.append(f"{report['duplicated']} events with their effect more than once")
    if strict and report["redelivered"]:
        reasons.append(f"{report['redelivered']} events handled more than once")
    return reasons


def purge_run(run):
    """Delete the run's events (handled or not: a worker then never picks up the rest) and hits."""
    with transaction.atomic():
        _, events = _events(run).delete()
        _, hits = OutboxProbeHit.objects.filter(run=run).delete()
    return events.get(OutboxEvent._meta.label, 0), hits.get(OutboxProbeHit._meta.label, 0)
