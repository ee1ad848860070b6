import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from classpoint.models import OutboxEvent, OutboxTypeStats
from classpoint.outbox import emit, worker
from classpoint.outbox.registry import _handlers, handles
from classpoint.testing import run_concurrently

seen = []


@pytest.fixture
def recording_handler():
    seen.clear()

    @handles("test.recorded")
    def record(event):
        seen.append(event.pk)

    yield seen
    _handlers["test.recorded"].remove(record)


@pytest.fixture
def failing_handler():
    @handles("test.failing")
    def fail(event):
        raise RuntimeError("provider is down")

    yield
    _handlers["test.failing"].remove(fail)


def test_emit_is_rolled_back_with_its_transaction(school):
    # given a service transaction that fails after emitting
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        emit(school=school, event_type="test.recorded", payload={"n": 1})
        1 / 0  # noqa: B018
    # then no event exists
    assert not OutboxEvent.objects.filter(event_type="test.recorded").exists()


def test_dedupe_key_makes_a_second_emit_a_no_op(school, other_school):
    first = emit(school=school, event_type="test.recorded", dedupe_key="k1")
    again = emit(school=school, event_type="test.recorded", dedupe_key="k1")
    elsewhere = emit(school=other_school, event_type="test.recorded", dedupe_key="k1")
    assert first.pk == again.pk
    assert elsewhere.pk != first.pk  # keys are unique per school


def test_worker_runs_handlers_and_marks_processed(school, recording_handler):
    worker.drain()  # what provisioning emitted
    events = [emit(school=school, event_type="test.recorded", payload={"n": i}) for i in range(5)]
    handled = worker.drain(batch_size=2)
    assert handled == 5
    assert sorted(recording_handler) == sorted(e.pk for e in events)
    assert OutboxEvent.objects.filter(event_type="test.recorded", processed_at__isnull=True).count() == 0
    assert OutboxTypeStats.objects.get(event_type="test.recorded").processed_total == 5


def test_one_failing_event_never_blocks_its_batch(school, recording_handler, failing_handler):
    bad = emit(school=school, event_type="test.failing")
    good = emit(school=school, event_type="test.recorded")
    worker.drain(batch_size=10)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.processed_at is not None
    assert bad.processed_at is None and bad.attempts == 1
    assert "provider is down" in bad.last_error
    assert bad.available_at > timezone.now()  # backed off
    assert bad.claimed_at is None


def test_failures_back_off_exponentially_then_dead_letter(school, failing_handler, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    event = emit(school=school, event_type="test.failing")
    delays = []
    for _ in range(3):
        OutboxEvent.objects.filter(pk=event.pk).update(available_at=timezone.now() - timedelta(seconds=1))
        before = timezone.now()
        worker.drain()
        event.refresh_from_db()
        if event.dead_at is None:
            delays.append((event.available_at - before).total_seconds())
    assert event.dead_at is not None and event.attempts == 3
    assert "RuntimeError" in event.last_error
    assert delays[1] > delays[0] * 1.5  # 2 s, then 4 s
    assert OutboxTypeStats.objects.get(event_type="test.failing").failures_total == 3


def test_retry_dead_requeues(school, recording_handler):
    event = emit(school=school, event_type="test.recorded")
    OutboxEvent.objects.filter(pk=event.pk).update(dead_at=timezone.now(), attempts=8)
    call_command("outbox_retry_dead", "--event-type", "test.recorded")
    worker.drain()
    event.refresh_from_db()
    assert event.processed_at is not None and recording_handler == [event.pk]


def test_reset_stuck_releases_old_claims_only(school):
    old = emit(school=school, event_type="test.recorded")
    fresh = emit(school=school, event_type="test.recorded")
    OutboxEvent.objects.filter(pk=old.pk).update(claimed_at=timezone.now() - timedelta(minutes=20), claimed_by="dead")
    OutboxEvent.objects.filter(pk=fresh.pk).update(claimed_at=timezone.now(), claimed_by="alive")
    assert worker.reset_stuck(older_than_minutes=15) == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.claimed_at is None and fresh.claimed_by == "alive"


def test_outbox_commands_print_their_figures(school, capsys):
    emit(school=school, event_type="test.recorded")
    call_command("outbox_stats")
    call_command("outbox_reset_stuck", "--older-than-minutes=15")
    out = capsys.readouterr().out
    assert "pending:" in out and "test.recorded" in out
    assert "released 0 stuck events" in out


def test_outbox_worker_once_drains_and_exits(school, recording_handler, capsys):
    worker.drain()
    emit(school=school, event_type="test.recorded")
    call_command("outbox_worker", "--once", "--batch-size=50", "--sleep-ms=0")
    assert len(recording_handler) == 1
    assert "handled 1 events" in capsys.readouterr().out


def test_school_provisioned_event_is_emitted(school):
    event = OutboxEvent.objects.get(school=school, event_type="school.provisioned")
    assert event.payload == {"school_id": school.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_handle_an_event_twice(school, recording_handler):
    # given 600 events and four workers racing for them on real connections
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(school=school, event_type="test.recorded", payload={"n": i}) for i in range(600)]
    )
    errors = run_concurrently(lambda _: worker.drain(batch_size=25), [None] * 4)
    # then every event was handled exactly once
    assert not errors
    assert len(recording_handler) == 600
    assert len(set(recording_handler)) == 600
    assert not OutboxEvent.objects.filter(event_type="test.recorded", processed_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claim_skips_rows_locked_by_another_worker(school):
    OutboxEvent.objects.bulk_create([OutboxEvent(school=school, event_type="test.recorded") for _ in range(10)])
    claimed_inside = []
    holding = threading.Event()
    release = threading.Event()

    def hold_first_five():
        with transaction.atomic():
            rows = list(OutboxEvent.objects.select_for_update().filter(event_type="test.recorded").order_by("id")[:5])
            claimed_inside.extend(r.pk for r in rows)
            holding.set()
            release.wait(10)
        connection.close()

    t = threading.Thread(target=hold_first_five)
    t.start()
    holding.wait(10)
    batch = worker.claim_batch(worker="w2", batch_size=10)
    release.set()
    t.join()
    assert {e.pk for e in batch}.isdisjoint(claimed_inside)
    assert len([e for e in batch if e.event_type == "test.recorded"]) == 5


def test_scheduled_reset_also_prunes_old_idempotency_records_and_heartbeats(school, django_user_model):
    from classpoint.models import IdempotencyRecord, WorkerHeartbeat
    from classpoint.outbox.tasks import reset_stuck_claims

    user = django_user_model.objects.create_user("u")
    old = timezone.now() - timedelta(days=2)
    IdempotencyRecord.objects.create(user=user, key="old", method="POST", path="/", request_hash="x", created_at=old)
    IdempotencyRecord.objects.create(user=user, key="new", method="POST", path="/", request_hash="x")
    WorkerHeartbeat.objects.create(name="gone", last_seen=old)
    reset_stuck_claims()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert not WorkerHeartbeat.objects.filter(name="gone").exists()


def test_django_q_is_configured_safely(settings):
    from django.conf import settings as live

    q = live.Q_CLUSTER
    assert q["orm"] == "default" and q["catch_up"] is False
    assert q["retry"] > q["timeout"] and q["max_attempts"] >= 1
    from classpoint.schedules import SCHEDULES

    assert {name for name, _, _ in SCHEDULES} >= {"outbox-drain", "outbox-reset-stuck"}


@pytest.mark.parametrize("count", [3, 750])  # the INSERT path and, on PostgreSQL, the COPY path
def test_emit_many_writes_rows_a_worker_handles_like_any_other(school, recording_handler, count):
    from classpoint.outbox import emit_many

    written = emit_many(school=school, events=[("test.recorded", {"n": i}, f"bulk:{i}") for i in range(count)])
    assert written == count
    rows = OutboxEvent.objects.filter(school=school, event_type="test.recorded").order_by("id")
    assert rows.count() == count
    first = rows.first()
    assert (first.payload, first.dedupe_key, first.attempts, first.processed_at) == ({"n": 0}, "bulk:0", 0, None)
    assert first.available_at <= timezone.now() and first.claimed_by == ""
    worker.drain()
    assert sorted(recording_handler) == list(rows.values_list("pk", flat=True))  # each handled once


@pytest.mark.parametrize("count", [3, 750])
def test_emit_many_with_a_used_dedupe_key_fails_and_writes_nothing(school, count):
    from django.db import IntegrityError

    from classpoint.outbox import emit_many

    emit(school=school, event_type="test.recorded", dedupe_key="bulk:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        emit_many(school=school, events=[("test.recorded", {}, f"bulk:{i}") for i in range(count)])
    assert (
        OutboxEvent.objects.filter(school=school).count()
        == 1 + OutboxEvent.objects.filter(school=school).exclude(event_type="test.recorded").count()
    )


@pytest.fixture
def batch_handler():
    """A batch handler for test.batched that fails its whole call when an event says so."""
    calls = []

    @handles("test.batched", batch=True)
    def record(events):
        calls.append([e.pk for e in events])
        if any((e.payload or {}).get("fail") for e in events):
            raise RuntimeError("bad event in the batch")

    yield calls
    _handlers["test.batched"].remove(record)


def test_batch_handler_gets_each_schools_events_together(school, other_school, batch_handler):
    worker.drain()
    mine = [emit(school=school, event_type="test.batched", payload={"n": i}) for i in range(3)]
    theirs = [emit(school=other_school, event_type="test.batched", payload={"n": i}) for i in range(2)]
    assert worker.drain(batch_size=50) == 5
    assert sorted(map(sorted, batch_handler)) == sorted([[e.pk for e in mine], [e.pk for e in theirs]])
    assert not OutboxEvent.objects.filter(event_type="test.batched", processed_at__isnull=True).exists()


def test_a_failing_batch_is_retried_event_by_event_so_only_the_bad_one_fails(school, batch_handler):
    worker.drain()
    good = [emit(school=school, event_type="test.batched", payload={"n": i}) for i in range(2)]
    bad = emit(school=school, event_type="test.batched", payload={"fail": True})
    worker.drain(batch_size=50)
    # the batch of three failed, then each ran alone
    assert batch_handler[0] == sorted(batch_handler[0]) and len(batch_handler[0]) == 3
    assert sorted(batch_handler[1:]) == sorted([[e.pk] for e in [*good, bad]])
    assert OutboxEvent.objects.filter(pk__in=[e.pk for e in good], processed_at__isnull=False).count() == 2
    bad.refresh_from_db()
    assert bad.processed_at is None and bad.attempts == 1 and "bad event in the batch" in bad.last_error


def test_a_type_cannot_mix_batch_and_single_handlers(batch_handler):
    with pytest.raises(ValueError):
        handles("test.batched")(lambda event: None)
