"""The outbox probe (classpoint/outbox/probe.py): a run of ops.probe events goes through the real
worker, and `verify` tells handled once from lost, duplicated and redelivered."""

import io
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from classpoint.models import OutboxEvent, OutboxProbeHit
from classpoint.outbox import probe, worker
from classpoint.outbox.registry import handlers_for


def _verify(*args):
    out = io.StringIO()
    call_command("outbox_probe", "verify", *args, stdout=out)
    return out.getvalue()


def _handle_without_marking(events):
    """What a worker killed with -9 after running handlers leaves: each handler's transaction
    committed, the batch's processed mark never written, the claim still held."""
    for event in events:
        for handler in handlers_for(event.event_type):
            with transaction.atomic():
                handler(event)


def test_the_probe_handler_is_found_like_any_apps_handler():
    assert probe.record_hit in handlers_for("ops.probe")


@pytest.mark.parametrize("count", [3, 600])  # the INSERT path and, on PostgreSQL, the COPY path
def test_a_run_is_handled_once_per_event_by_the_worker(db, count):
    out = io.StringIO()
    call_command("outbox_probe", "emit", "--events", str(count), "--run", "r1", stdout=out)
    assert f"emitted {count} ops.probe events as run r1" in out.getvalue()
    events = OutboxEvent.objects.filter(event_type="ops.probe")
    assert events.count() == count and events.filter(school__isnull=True).count() == count
    assert probe.run_report("r1")["lost"] == count  # nothing handled yet

    worker.drain(batch_size=100)

    report = probe.run_report("r1")
    assert (report["emitted"], report["handled_once"], report["lost"]) == (count, count, 0)
    assert (report["duplicated"], report["redelivered"], report["pending"]) == (0, 0, 0)
    assert OutboxProbeHit.objects.filter(run="r1").count() == count
    assert "handled once" in _verify("--run", "r1")


def test_a_worker_killed_after_its_claim_is_made_good_by_reset_stuck_and_a_second_drain(db):
    # given a run of 20, and a worker that claimed 8, ran the handler for 3 of them, then died
    probe.emit_run(run="crash", events=20)
    doomed = worker.claim_batch(worker="host:4242:dead01", batch_size=8)
    _handle_without_marking(doomed[:3])
    # when the survivor drains what it can
    worker.drain(batch_size=5)
    # then the dead worker's 8 are still claimed, 5 of them without their effect, and verify says so
    report = probe.run_report("crash")
    assert (report["handled_once"], report["lost"], report["claimed"]) == (15, 5, 8)
    with pytest.raises(CommandError, match="5 events without their effect"):
        _verify("--run", "crash")
    # a fresh claim is not released at the default threshold (its worker may only be slow)
    assert worker.reset_stuck() == 0
    # when the operator releases the claims and a worker drains again
    call_command("outbox_reset_stuck", "--older-than-minutes=0", stdout=io.StringIO())
    worker.drain(batch_size=5)
    # then every event took effect exactly once; the 3 handled before the crash were delivered twice
    report = probe.run_report("crash")
    assert (report["handled_once"], report["lost"], report["duplicated"]) == (20, 0, 0)
    assert report["redelivered"] == 3
    assert OutboxProbeHit.objects.filter(run="crash").count() == 23
    assert set(OutboxProbeHit.objects.filter(run="crash", first=False).values_list("event_id", flat=True)) == {
        e.pk for e in doomed[:3]
    }
    assert "redelivered" in _verify("--run", "crash")
    with pytest.raises(CommandError, match="3 events handled more than once"):
        _verify("--run", "crash", "--strict")


def test_an_effect_recorded_twice_is_reported_as_duplicated(db):
    # A handler without its guard (or a broken one) would leave two effect rows for one event.
    probe.emit_run(run="dup", events=2)
    worker.drain()
    event = OutboxEvent.objects.filter(event_type="ops.probe").first()
    OutboxProbeHit.objects.create(run="dup", event_id=event.pk, first=True)
    report = probe.run_report("dup")
    assert (report["handled_once"], report["duplicated"]) == (1, 1)
    with pytest.raises(CommandError, match="1 events with their effect more than once"):
        _verify("--run", "dup", "--json")


def test_verify_waits_for_a_run_to_settle_then_gives_up(db):
    probe.emit_run(run="idle", events=4)  # no worker runs
    started = time.monotonic()
    with pytest.raises(CommandError, match="4 events without their effect"):
        _verify("--run", "idle", "--wait", "0.3")
    assert time.monotonic() - started >= 0.3
    assert not probe.settled(probe.run_report("idle"))


def test_emit_refuses_a_used_run_name_and_unbounded_sizes(db):
    probe.emit_run(run="taken", events=1)
    with pytest.raises(CommandError, match="exists already"):
        call_command("outbox_probe", "emit", "--events", "1", "--run", "taken", stdout=io.StringIO())
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("outbox_probe", "emit", "--events", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no events"):
        _verify("--run", "never-emitted")


def test_purge_removes_a_run_so_its_unhandled_events_are_never_picked_up(db):
    probe.emit_run(run="gone", events=3)
    probe.emit_run(run="kept", events=2)
    worker.claim_batch(worker="w", batch_size=1)
    _handle_without_marking(OutboxEvent.objects.filter(event_type="ops.probe").order_by("id")[:1])
    out = io.StringIO()
    call_command("outbox_probe", "purge", "--run", "gone", stdout=out)
    assert "purged run gone: 3 events, 1 handling records" in out.getvalue()
    worker.drain()
    assert probe.run_report("gone")["emitted"] == 0
    assert set(OutboxProbeHit.objects.values_list("run", flat=True)) == {"kept"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_handlings_at_once_keep_one_effect(db):
    # given one event handled by a worker that has not committed yet (slow, not dead), and its
    # claim released and taken by a second worker meanwhile
    probe.emit_run(run="race", events=1)
    event = OutboxEvent.objects.get(event_type="ops.probe")
    event.claimed_by = "w"
    holding, release, errors = threading.Event(), threading.Event(), []

    def slow():
        try:
            with transaction.atomic():
                probe.record_hit(event)
                holding.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            holding.wait(10)
            with transaction.atomic():
                probe.record_hit(event)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=slow), threading.Thread(target=second)]
    for t in threads:
        t.start()
    holding.wait(10)
    time.sleep(0.3)  # the second handling is now waiting on the event's row lock
    release.set()
    for t in threads:
        t.join()
    # then both handlings are recorded, the effect once
    assert not errors
    assert list(OutboxProbeHit.objects.filter(run="race").order_by("id").values_list("first", flat=True)) == [
        True,
        False,
    ]
