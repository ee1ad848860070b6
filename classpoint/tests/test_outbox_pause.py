"""Pausing one event type's handlers (classpoint/outbox/pause.py, `outbox_pause` / `outbox_resume`):
while paused, no worker claims its events, which wait with their attempts untouched; the rest of
the outbox flows; resumed, each waiting event is handled once."""

import io
import threading

import pytest
from django.core.management import CommandError, call_command

from classpoint.models import AuditLog, OutboxEvent, PausedEventType
from classpoint.outbox import emit, worker
from classpoint.outbox.registry import _handlers, handles
from classpoint.testing import run_concurrently

pytestmark = pytest.mark.django_db

PAUSED, FLOWING = "test.pausable", "test.flowing"


@pytest.fixture
def handled():
    """Two registered types whose handlers record the ids they ran for (from any thread)."""
    seen = {PAUSED: [], FLOWING: []}
    lock = threading.Lock()

    def recorder(event_type):
        def record(event):
            with lock:
                seen[event_type].append(event.pk)

        return record

    registered = {t: handles(t)(recorder(t)) for t in seen}
    yield seen
    for event_type, func in registered.items():
        _handlers[event_type].remove(func)


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_a_paused_type_waits_unclaimed_while_the_others_run(school, handled):
    worker.drain()  # what provisioning emitted
    run("outbox_pause", PAUSED, "--reason", "provider double-sends")
    waiting = [emit(school=school, event_type=PAUSED, payload={"n": i}) for i in range(3)]
    flowing = [emit(school=school, event_type=FLOWING, payload={"n": i}) for i in range(2)]

    assert worker.drain() == 2

    assert sorted(handled[FLOWING]) == sorted(e.pk for e in flowing) and handled[PAUSED] == []
    for event in OutboxEvent.objects.filter(pk__in=[e.pk for e in waiting]):
        assert (event.status, event.attempts, event.claimed_by, event.dead_at) == ("pending", 0, "", None)


def test_resumed_its_waiting_events_run_once_each(school, handled):
    run("outbox_pause", PAUSED)
    waiting = [emit(school=school, event_type=PAUSED) for _ in range(3)]
    worker.drain()
    assert handled[PAUSED] == []

    assert run("outbox_resume", PAUSED) == f"resumed {PAUSED}: 3 waiting events go to the next drain\n"
    worker.drain()
    worker.drain()

    assert sorted(handled[PAUSED]) == sorted(e.pk for e in waiting)
    assert not OutboxEvent.objects.filter(event_type=PAUSED, processed_at__isnull=True).exists()


def test_a_type_nobody_handles_is_refused_with_the_registered_ones_listed(handled):
    with pytest.raises(CommandError) as error:
        run("outbox_pause", "mesaging.requested")
    assert "No handler is registered for 'mesaging.requested'" in str(error.value)
    assert PAUSED in str(error.value) and "messaging.requested" in str(error.value)
    assert not PausedEventType.objects.exists()


def test_list_pause_again_and_resume_say_what_they_did_and_are_audited(school, handled):
    assert run("outbox_pause", "--list") == "no event types are paused\n"
    assert run("outbox_pause", PAUSED, "--reason", "bad deploy").startswith(f"paused {PAUSED}:")
    assert f"{PAUSED} was already paused" in run("outbox_pause", PAUSED)
    emit(school=school, event_type=PAUSED)

    listing = run("outbox_pause", "--list").splitlines()
    assert listing[0].split()[:3] == ["event", "type", "waiting"]
    assert listing[1].split()[:2] == [PAUSED, "1"] and listing[1].endswith("bad deploy")

    assert run("outbox_resume", FLOWING).startswith(f"{FLOWING} is not paused (paused: {PAUSED})")
    run("outbox_resume", PAUSED)
    assert run("outbox_pause", "--list") == "no event types are paused\n"
    entries = AuditLog.objects.filter(action__startswith="outbox.type_").order_by("id")
    assert [(e.action, e.school_id, e.target_id) for e in entries] == [
        ("outbox.type_paused", None, PAUSED),
        ("outbox.type_resumed", None, PAUSED),
    ]
    assert entries[0].changes["reason"] == "bad deploy" and entries[1].changes["waiting"] == 1


def test_pause_needs_a_type_or_list_and_not_both(handled):
    with pytest.raises(CommandError):
        run("outbox_pause")
    with pytest.raises(CommandError):
        run("outbox_pause", PAUSED, "--list")


def test_stats_health_and_metrics_show_the_paused_types(school, handled, client):
    run("outbox_pause", PAUSED)
    emit(school=school, event_type=PAUSED)

    assert f"  {PAUSED:<32} 1 waiting, paused " in run("outbox_stats")
    health = client.get("/api/health").json()
    assert health["checks"]["task_queue"]["paused_event_types"] == [PAUSED]
    assert "classpoint_outbox_paused_types 1.0" in client.get("/metrics").content.decode()


def test_a_long_pause_is_no_outbox_lag_for_the_health_check(school, handled, client):
    from datetime import timedelta

    from django.utils import timezone

    run("outbox_pause", PAUSED)
    event = emit(school=school, event_type=PAUSED)
    worker.drain()  # a live worker beats
    OutboxEvent.objects.filter(pk=event.pk).update(available_at=timezone.now() - timedelta(hours=1))

    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["checks"]["task_queue"]["outbox_lag_seconds"] < 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_on_postgresql_holds_a_pause_and_drains_each_event_once_on_resume(school, handled):
    # given a paused type, and events of it and of another type
    worker.drain()
    run("outbox_pause", PAUSED, "--reason", "test")
    OutboxEvent.objects.bulk_create(
        [OutboxEvent(school=school, event_type=t, payload={"n": i}) for i in range(120) for t in (PAUSED, FLOWING)]
    )
    # when the worker command drains
    assert "handled 120 events" in run("outbox_worker", "--once", "--batch-size=25", "--sleep-ms=0")
    # then only the other type ran, and the paused events wait untouched
    assert len(handled[FLOWING]) == 120 and handled[PAUSED] == []
    untouched = OutboxEvent.objects.filter(event_type=PAUSED, processed_at__isnull=True, claimed_at__isnull=True)
    assert untouched.filter(attempts=0, dead_at__isnull=True).count() == 120

    # when it is resumed and four workers race to drain
    run("outbox_resume", PAUSED)
    errors = run_concurrently(lambda _: worker.drain(batch_size=10), [None] * 4)
    # then each waiting event ran exactly once
    assert not errors
    assert len(handled[PAUSED]) == 120 and len(set(handled[PAUSED])) == 120
    assert len(handled[FLOWING]) == 120
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
