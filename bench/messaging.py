"""Messaging at scale: an announcement to 10,000 guardians (one child each, SMS consent) in one school
with the log provider.

Measures (1) the fan-out: the `announcement.published` handler asking for one message per guardian
(one bulk insert of `messaging.requested` events); (2) the pipeline: the outbox worker, in this
process, turning those requests into queued Messages (channel, consent, quiet hours, render, status
history, the send tasks queued); (3) sending: `messaging.tasks.send_messages`, the task the pipeline
queues, called in this process for every batch of MESSAGING_SEND_BATCH messages, one after another
(one worker's throughput; a cluster runs several). Reference: a bare `bulk_create` of the same Message
rows, in the same run, for the ratio of the pipeline's cost per message to it.

    python bench/messaging.py --guardians 10000

Targets: fan-out + pipeline < 30 s; sending >= 200 messages/s.
"""

import argparse
import datetime
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


def _send_batches(batches):
    from django import db

    from messaging import tasks

    db.connections.close_all()  # a fresh connection per process, as each cluster worker has
    for batch in batches:
        tasks.send_messages(batch)
    db.connections.close_all()


def _in_processes(workers, batches):
    """Send `batches` from `workers` forked processes taking every workers-th batch, like the
    cluster's workers pulling tasks off one queue."""
    import multiprocessing

    from django import db

    db.connections.close_all()
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_send_batches, args=(batches[w::workers],)) for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0, process.exitcode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guardians", type=int, default=10_000)
    args = parser.parse_args()
    _common.production_like()
    url = _common.setup()
    from django.db import transaction

    from classpoint.models import OutboxEvent
    from classpoint.outbox import worker
    from messaging import tasks
    from messaging.announcements import announcement_create, announcement_publish
    from messaging.models import Message
    from schools.models import Guardian, SchoolProfile, Student, StudentGuardian

    # The log provider writes every message to the log; 10,000 lines on the console would measure the terminal.
    logging.getLogger("messaging.sent").setLevel(logging.WARNING)
    logging.getLogger("django-q").setLevel(logging.WARNING)
    n = args.guardians
    school = _common.provision_bench_school(f"bench-msg-{int(time.time() * 1000) % 10**9}", "Bench Messaging")
    # No quiet hours: the bench measures sending, not the morning release.
    SchoolProfile.objects.filter(school=school).update(
        quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0)
    )
    t0 = time.perf_counter()
    students = Student.objects.bulk_create(
        [Student(school=school, admission_number=f"M{i:06d}", first_name="M", last_name=f"N{i}") for i in range(n)],
        batch_size=5000,
    )
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(school=school, first_name="G", last_name=f"P{i}", phone=f"+234803{i:07d}", consent_sms=True)
            for i in range(n)
        ],
        batch_size=5000,
    )
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school=school, student=s, guardian=g, is_primary=True)
            for s, g in zip(students, guardians, strict=True)
        ],
        batch_size=5000,
    )
    worker.drain(batch_size=500)  # school.provisioned and anything else pending, before the clock starts
    setup_s = time.perf_counter() - t0

    announcement = announcement_create(
        school=school, actor=None, title="Sports day", body="Sports day is on Friday at 9am. Families are welcome."
    )
    t0 = time.perf_counter()
    announcement_publish(announcement=announcement, actor=None)
    events = worker.claim_batch(worker="bench", batch_size=10)
    assert [e.event_type for e in events] == ["announcement.published"], [e.event_type for e in events]
    worker.process_batch(events)
    fanout_s = time.perf_counter() - t0
    requests = OutboxEvent.objects.filter(school=school, event_type="messaging.requested").count()

    t0 = time.perf_counter()
    worker.drain(batch_size=100)  # the batch the cluster's drain task claims
    pipeline_s = time.perf_counter() - t0
    messages = Message.objects.for_school(school)
    queued_ids = list(messages.filter(status=Message.Status.QUEUED).order_by("id").values_list("id", flat=True))
    created = messages.count()

    # Reference: the same Message rows, bulk inserted bare (no status history, no events, no tasks).
    rows = list(messages.order_by("id"))
    for row in rows:
        row.pk = None
        row.idempotency_key = f"bare:{row.idempotency_key}"
    t0 = time.perf_counter()
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=2000)
    bare_s = time.perf_counter() - t0
    Message.objects.for_school(school).filter(idempotency_key__startswith="bare:").delete()

    from django.conf import settings

    size = settings.MESSAGING_SEND_BATCH
    batches = [queued_ids[i : i + size] for i in range(0, len(queued_ids), size)]
    # The first half by one worker, the second by the default cluster's Q_WORKERS processes at once.
    half = len(batches) // 2
    one_worker, cluster = batches[:half], batches[half:]
    t0 = time.perf_counter()
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for batch in one_worker:
        tasks.send_messages(batch)
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    send_s = time.perf_counter() - t0
    sent_one = sum(len(b) for b in one_worker)
    workers = settings.Q_CLUSTER["workers"]
    t0 = time.perf_counter()
    _in_processes(workers, cluster)
    cluster_s = time.perf_counter() - t0
    sent_cluster = sum(len(b) for b in cluster)
    delivered = messages.filter(status=Message.Status.DELIVERED).count()
    try:  # the send tasks the pipeline queued on commit: already sent above, not for a cluster to find
        from django_q.models import OrmQ

        OrmQ.objects.all().delete()
    except Exception:  # noqa: BLE001 - another broker: nothing stored here
        pass

    per_message_pipeline = (fanout_s + pipeline_s) / max(created, 1)
    per_message_bare = bare_s / max(len(rows), 1)
    result = {
        "bench": "messaging",
        "database": url.rsplit("/", 1)[1],
        "guardians": n,
        "setup_s": round(setup_s, 2),
        "requests": requests,
        "messages": created,
        "queued": len(queued_ids),
        "delivered": delivered,
        "fanout_s": round(fanout_s, 3),
        "pipeline_s": round(pipeline_s, 2),
        "fanout_plus_pipeline_s": round(fanout_s + pipeline_s, 2),
        "target_fanout_s": 30,
        "send_one_worker": sent_one,
        "send_one_worker_s": round(send_s, 2),
        "send_one_worker_per_s": round(sent_one / send_s, 1) if send_s else None,
        "cluster_workers": workers,
        "send_cluster": sent_cluster,
        "send_cluster_s": round(cluster_s, 2),
        "send_cluster_per_s": round(sent_cluster / cluster_s, 1) if cluster_s else None,
        "target_send_per_s": 200,
        "bare_insert_s": round(bare_s, 3),
        "pipeline_ms_per_message": round(per_message_pipeline * 1000, 3),
        "bare_ms_per_message": round(per_message_bare * 1000, 4),
        "ratio_pipeline_to_bare": round(per_message_pipeline / per_message_bare, 1) if per_message_bare else None,
    }
    print(f"guardians: {n} (setup {setup_s:.1f} s)")
    print(f"fan-out: {requests} requests in {fanout_s:.2f} s")
    print(
        f"pipeline: {created} messages ({len(queued_ids)} queued) in {pipeline_s:.2f} s; "
        f"fan-out + pipeline {fanout_s + pipeline_s:.2f} s (target < 30 s)"
    )
    print(
        f"send (log provider), one worker: {sent_one} in {send_s:.2f} s = {result['send_one_worker_per_s']}/s; "
        f"the cluster's {workers} workers: {sent_cluster} in {cluster_s:.2f} s = {result['send_cluster_per_s']}/s "
        f"(target >= 200/s); delivered {delivered} of {len(queued_ids)}"
    )
    print(
        f"bare bulk insert of the same {len(rows)} rows: {bare_s:.3f} s; pipeline per message "
        f"{result['pipeline_ms_per_message']} ms vs bare {result['bare_ms_per_message']} ms = "
        f"{result['ratio_pipeline_to_bare']}x"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
