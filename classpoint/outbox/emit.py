import logging

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..context import request_id_var
from ..models import OutboxEvent

log = logging.getLogger(__name__)
_NUDGE_KEY = "outbox:nudged"


def emit(*, school, event_type, payload=None, dedupe_key=None, available_at=None):
    """Write an event in the caller's transaction; it exists only if that transaction commits.

    With a `dedupe_key`, a second emit of the same key for the same school is a no-op and returns
    the first event (the key is unique per school).
    """
    fields = {
        "school": school,
        "event_type": event_type,
        "payload": payload or {},
        "dedupe_key": dedupe_key,
        "request_id": _request_id(),
    }
    if available_at is not None:
        fields["available_at"] = available_at
    if dedupe_key:
        existing = OutboxEvent.objects.filter(school=school, dedupe_key=dedupe_key).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                event = OutboxEvent.objects.create(**fields)
        except IntegrityError:  # a concurrent emit won the key
            return OutboxEvent.objects.get(school=school, dedupe_key=dedupe_key)
    else:
        event = OutboxEvent.objects.create(**fields)
    if settings.OUTBOX_NUDGE_ON_COMMIT:
        transaction.on_commit(nudge)
    return event


def nudge():
    """Ask the task cluster to drain now. One drain task lingers a while after its last event, so
    at most one nudge per linger window is needed: a cache key keeps bursts to one task."""
    linger = settings.OUTBOX_DRAIN_LINGER_SECONDS
    try:
        if not cache.add(_NUDGE_KEY, 1, timeout=max(int(linger / 2), 1)):
            return
        from django_q.tasks import async_task

        async_task("classpoint.outbox.tasks.drain_outbox", linger, task_name="outbox-drain", group="outbox")
    except Exception:  # the schedule drains every minute; a lost nudge only costs latency
        log.warning("outbox nudge failed", exc_info=True)


def emit_many(*, school, events):
    """Bulk `emit` for batch jobs: `events` is [(event_type, payload, dedupe_key)]. Same
    transaction semantics; the caller guarantees its dedupe keys are new (no per-row check; a
    duplicate raises IntegrityError). Returns how many events were written."""
    if not events:
        return 0
    if connection.vendor == "postgresql" and len(events) >= COPY_THRESHOLD:
        _copy_events(school, events)
    else:
        request_id = _request_id()
        OutboxEvent.objects.bulk_create(
            [
                OutboxEvent(school=school, event_type=t, payload=p or {}, dedupe_key=k, request_id=request_id)
                for t, p, k in events
            ]
        )
    if settings.OUTBOX_NUDGE_ON_COMMIT:
        transaction.on_commit(nudge)
    return len(events)


def _request_id():
    """The id of the request (or task, or event being handled) emitting: the event's handlers log
    under it. Cut to the column's length; the middleware's ids fit, an id set elsewhere might not."""
    return request_id_var.get()[: OutboxEvent._meta.get_field("request_id").max_length]


def emitted_keys(*, school, dedupe_keys):
    """Which of `dedupe_keys` the school has emitted already (a batch checks before `emit_many`,
    which does no per-row check), read in chunks so a term's worth of keys stays one short query each."""
    keys, found = list(dedupe_keys), set()
    for start in range(0, len(keys), 1000):
        found.update(
            OutboxEvent.objects.filter(school=school, dedupe_key__in=keys[start : start + 1000]).values_list(
                "dedupe_key", flat=True
            )
        )
    return found


COPY_THRESHOLD = 500


def _copy_events(school, events):
    """PostgreSQL COPY for big batches (an overdue scan writes 200,000 events): the same rows,
    constraints and transaction as an INSERT, without building a model instance and a bound
    parameter per value. Columns come from the model, so the two paths cannot drift apart."""
    from psycopg.types.json import Jsonb

    now = timezone.now()
    fields = [f for f in OutboxEvent._meta.concrete_fields if not f.primary_key]
    given = {
        "school": school.pk if school else None,
        "created_at": now,
        "available_at": now,
        "request_id": _request_id(),
    }
    defaults = [given[f.name] if f.name in given else f.get_default() for f in fields]
    index = {f.name: i for i, f in enumerate(fields)}
    quote = connection.ops.quote_name
    sql = f"COPY {quote(OutboxEvent._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for event_type, payload, dedupe_key in events:
            row = list(defaults)
            row[index["event_type"]] = event_type
            row[index["payload"]] = Jsonb(payload or {})
            row[index["dedupe_key"]] = dedupe_key
            copy.write_row(row)
