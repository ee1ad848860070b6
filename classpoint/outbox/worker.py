"""Claim, handle and complete outbox events.

Claiming is a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL) that stamps claimed_at
and claimed_by, so several workers never take the same row and a crashed worker's rows can be
released by `outbox_reset_stuck`. Handlers then run outside the claim transaction, each event in
its own transaction, so one failing event never blocks or undoes the rest of its batch. Types with a
batch handler run per school in one transaction; if that fails, its events are run again one by
one, so the failing event is found and the rest still go through.
"""

import logging
import os
import socket
import time
import traceback
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..logs import new_request_id, request_id_scope
from ..models import OutboxEvent, OutboxTypeStats, WorkerHeartbeat
from ..scoping import for_school, unscoped
from .pause import paused_queryset, paused_summary
from .registry import handlers_for, is_batch_type

log = logging.getLogger(__name__)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff_seconds(attempts):
    """2, 4, 8 ... seconds, capped; attempts counts the failure just recorded."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    return min(base * (2 ** max(attempts - 1, 0)), settings.OUTBOX_BACKOFF_MAX_SECONDS)


def claim_batch(*, worker, batch_size):
    now = timezone.now()
    with transaction.atomic():
        # Paused types (outbox_pause) are read in the same statement, so a pause holds from the next
        # claim on every worker; their events stay unclaimed and keep their attempts.
        ready = (
            OutboxEvent.objects.filter(
                processed_at__isnull=True, dead_at__isnull=True, claimed_at__isnull=True, available_at__lte=now
            )
            .exclude(event_type__in=paused_queryset())
            .order_by("available_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            ready = ready.select_for_update(skip_locked=True)
        events = list(ready[:batch_size])
        if not events:
            return []
        # The conditional filter keeps the claim safe where SKIP LOCKED does not exist (SQLite
        # serialises writers, so the second claimant finds claimed_at already set).
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events], claimed_at__isnull=True).update(
            claimed_at=now, claimed_by=worker
        )
    for event in events:
        event.claimed_at, event.claimed_by = now, worker
    return events


def _event_scope(school_id):
    """A handler acts inside its event's school: its school-scoped queries answer for that school
    only, so a row id from another school finds nothing. A platform event (no school) spans schools."""
    if school_id is None:
        return unscoped(reason="a platform event belongs to no one school")
    return for_school(school_id)


def _event_request_id(event):
    """The id a handler logs under: the request's (or task's) that emitted the event, so the events
    and tasks the handler emits in turn carry it too. An event emitted outside any (one written
    before ids were kept, or by a raw insert) is named after itself: stable across its retries, and
    the id an operator finds in the admin."""
    return event.request_id or f"evt-{event.pk}"


def _batch_request_id(group):
    """A batch shares its events' id when they have one (an announcement's thousand events come from
    one request); a mixed batch gets its own, logged once next to the ids it stands for."""
    ids = {_event_request_id(e) for e in group}
    if len(ids) == 1:
        return ids.pop()
    batch_id = new_request_id("batch")
    log.info("outbox batch %s handles events of requests %s", batch_id, " ".join(sorted(ids)))
    return batch_id


def _run_handlers(event):
    batch = is_batch_type(event.event_type)
    for handler in handlers_for(event.event_type):
        with _event_scope(event.school_id), transaction.atomic():
            handler([event] if batch else event)


def _run_batches(events):
    """Run batch handlers over groups of (type, school); returns (done, left for one by one)."""
    groups, singles = {}, []
    for event in events:
        if is_batch_type(event.event_type):
            groups.setdefault((event.event_type, event.school_id), []).append(event)
        else:
            singles.append(event)
    done = []
    for (event_type, school_id), group in groups.items():
        if len(group) == 1:
            singles.extend(group)
            continue
        with request_id_scope(_batch_request_id(group)):
            try:
                for handler in handlers_for(event_type):
                    with _event_scope(school_id), transaction.atomic():
                        handler(group)
            except Exception as exc:  # noqa: BLE001 - retried event by event below, where the error is kept
                log.warning("outbox batch of %s %s events failed, retrying one by one: %s", len(group), event_type, exc)
                singles.extend(group)
            else:
                done.extend(group)
    return done, singles


def process_batch(events):
    """Run handlers for claimed events; returns (processed, failed) counts."""
    done, events = _run_batches(events)
    failed = []
    for event in events:
        with request_id_scope(_event_request_id(event)):
            try:
                _run_handlers(event)
            except Exception as exc:  # noqa: BLE001 - any handler error is recorded, never propagated
                log.warning("outbox event %s (%s) failed: %s", event.pk, event.event_type, exc)
                failed.append((event, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"))
            else:
                done.append(event)
    now = timezone.now()
    if done:
        OutboxEvent.objects.filter(pk__in=[e.pk for e in done]).update(processed_at=now, last_error="")
    for event, error in failed:
        attempts = event.attempts + 1
        update = {"attempts": attempts, "last_error": error[:8000], "claimed_at": None, "claimed_by": ""}
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            update["dead_at"] = now
        else:
            update["available_at"] = now + timedelta(seconds=backoff_seconds(attempts))
        OutboxEvent.objects.filter(pk=event.pk).update(**update)
    _bump_stats(done, failed)
    return len(done), len(failed)


def _bump_stats(done, failed):
    by_type = {}
    for event in done:
        by_type.setdefault(event.event_type, [0, 0])[0] += 1
    for event, _ in failed:
        by_type.setdefault(event.event_type, [0, 0])[1] += 1
    for event_type, (ok, bad) in by_type.items():
        updated = OutboxTypeStats.objects.filter(event_type=event_type).update(
            processed_total=F("processed_total") + ok, failures_total=F("failures_total") + bad
        )
        if not updated:
            OutboxTypeStats.objects.get_or_create(event_type=event_type)
            OutboxTypeStats.objects.filter(event_type=event_type).update(
                processed_total=F("processed_total") + ok, failures_total=F("failures_total") + bad
            )


def drain(*, batch_size=50, worker=None, max_seconds=None, linger_seconds=0.0, poll_seconds=0.05):
    """Process batches until none is ready (then keep polling for `linger_seconds`), or until
    `max_seconds` have passed. Returns the number of events handled (processed or failed)."""
    worker = worker or worker_name()
    started = time.monotonic()
    idle_since = None
    handled = 0
    while max_seconds is None or time.monotonic() - started < max_seconds:
        events = claim_batch(worker=worker, batch_size=batch_size)
        if events:
            ok, bad = process_batch(events)
            handled += ok + bad
            idle_since = None
            continue
        if idle_since is None:
            idle_since = time.monotonic()
        if time.monotonic() - idle_since >= linger_seconds:
            break
        time.sleep(poll_seconds)
    beat(worker, handled)
    return handled


def beat(worker, handled=0, kind="cluster"):
    # One row per process (the random suffix is dropped) so the table stays small.
    name = worker.rsplit(":", 1)[0]
    updated = WorkerHeartbeat.objects.filter(name=name).update(
        last_seen=timezone.now(), handled_total=F("handled_total") + handled
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(name=name, defaults={"kind": kind, "handled_total": handled})


def reset_stuck(*, older_than_minutes=None):
    """Release claims older than the cut-off (a worker died holding them). Returns how many."""
    minutes = settings.OUTBOX_STUCK_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    return OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True, claimed_at__lt=cutoff).update(
        claimed_at=None, claimed_by=""
    )


def retry_dead(*, event_type=None):
    dead = OutboxEvent.objects.filter(dead_at__isnull=False, processed_at__isnull=True)
    if event_type:
        dead = dead.filter(event_type=event_type)
    return dead.update(dead_at=None, attempts=0, claimed_at=None, claimed_by="", available_at=timezone.now())


def stats():
    from django.db.models import Count, Min

    now = timezone.now()
    base = OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True)
    stuck_cutoff = now - timedelta(minutes=settings.OUTBOX_STUCK_MINUTES)
    oldest = base.aggregate(m=Min("created_at"))["m"]
    by_type = list(
        OutboxEvent.objects.filter(created_at__gte=now - timedelta(hours=24))
        .values("event_type")
        .annotate(total=Count("id"))
        .order_by("event_type")
    )
    return {
        "pending": base.count(),
        "claimed": base.filter(claimed_at__isnull=False).count(),
        "stuck": base.filter(claimed_at__lt=stuck_cutoff).count(),
        "dead": OutboxEvent.objects.filter(dead_at__isnull=False).count(),
        "oldest_pending_age_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        "by_type_24h": {row["event_type"]: row["total"] for row in by_type},
        "paused": paused_summary(),
    }
