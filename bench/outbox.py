"""Outbox throughput: the project's worker (batch 50; 1 and 2 workers) against a bare SQL
claim-and-complete loop on a copy of the table, measured in the same run.

    python bench/outbox.py --events 50000

Target on PostgreSQL: the worker reaches at least 25% of the bare loop's events/s.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

EVENT_TYPE = "bench.noop"


def _insert_events(n):
    from classpoint.models import OutboxEvent

    OutboxEvent.objects.filter(event_type=EVENT_TYPE).delete()
    rows = [OutboxEvent(event_type=EVENT_TYPE, payload={"i": i, "invoice_id": 1000 + i}) for i in range(n)]
    OutboxEvent.objects.bulk_create(rows, batch_size=5000)


def _register_noop():
    from classpoint.outbox import handles

    @handles(EVENT_TYPE)
    def noop(event):
        return None


def _drain_process(batch_size, result_queue):
    import django
    from django.db import connection

    django.setup()
    _register_noop()
    from classpoint.outbox import worker

    handled = worker.drain(batch_size=batch_size)
    connection.close()
    result_queue.put(handled)


def run_worker(n, workers, batch_size):
    from django.db import connection

    _insert_events(n)
    connection.close()  # children open their own connections
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_drain_process, args=(batch_size, queue)) for _ in range(workers)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    handled = sum(queue.get() for _ in procs)
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    from classpoint.models import OutboxEvent

    left = OutboxEvent.objects.filter(event_type=EVENT_TYPE, processed_at__isnull=True).count()
    assert left == 0, f"{left} events left unprocessed"
    return handled, elapsed


def run_bare(n, batch_size):
    """The same claim (SKIP LOCKED) and completion with raw SQL and no handler dispatch."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_outbox_copy")
        cur.execute("CREATE TABLE bench_outbox_copy (LIKE classpoint_outboxevent INCLUDING ALL)")
        cur.execute(
            "INSERT INTO bench_outbox_copy (event_type, payload, created_at, available_at, claimed_by, attempts,"
            " last_error) SELECT %s, jsonb_build_object('i', g, 'invoice_id', 1000 + g), now(), now(), '', 0, ''"
            " FROM generate_series(1, %s) g",
            [EVENT_TYPE, n],
        )
        cur.execute("ANALYZE bench_outbox_copy")
    connection.close()
    started = time.perf_counter()
    handled = 0
    with connection.cursor() as cur:
        while True:
            cur.execute("BEGIN")
            cur.execute(
                "SELECT id, event_type, payload FROM bench_outbox_copy WHERE processed_at IS NULL AND dead_at IS NULL"
                " AND claimed_at IS NULL AND available_at <= now() ORDER BY available_at, id LIMIT %s"
                " FOR UPDATE SKIP LOCKED",
                [batch_size],
            )
            rows = cur.fetchall()
            if not rows:
                cur.execute("COMMIT")
                break
            ids = [r[0] for r in rows]
            cur.execute(
                "UPDATE bench_outbox_copy SET claimed_at = now(), claimed_by = 'bare' WHERE id = ANY(%s)", [ids]
            )
            cur.execute("COMMIT")
            cur.execute("UPDATE bench_outbox_copy SET processed_at = now() WHERE id = ANY(%s)", [ids])
            handled += len(rows)
        cur.execute("DROP TABLE bench_outbox_copy")
    return handled, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args()
    url = _common.setup()
    _register_noop()
    from django.db import connection

    results = {"date": time.strftime("%Y-%m-%d"), "database": connection.vendor, "events": args.events}
    bare_n, bare_s = run_bare(args.events, args.batch_size)
    results["bare_events_per_s"] = round(bare_n / bare_s)
    for workers in (1, 2):
        n, s = run_worker(args.events, workers, args.batch_size)
        results[f"worker_{workers}_events_per_s"] = round(n / s)
        results[f"worker_{workers}_ratio_to_bare"] = round((n / s) / (bare_n / bare_s), 3)
    print(f"database: {url.rsplit('@', 1)[-1]}  events: {args.events}  batch: {args.batch_size}")
    print(f"bare SQL claim+complete loop : {results['bare_events_per_s']:>8} events/s")
    for workers in (1, 2):
        print(
            f"project worker x{workers}            : {results[f'worker_{workers}_events_per_s']:>8} events/s"
            f"  ratio to bare {results[f'worker_{workers}_ratio_to_bare']:.1%}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
