"""End-to-end outbox latency with the real task cluster running: emit events at a steady rate,
each in its own committed transaction (which nudges the cluster), and measure emit -> processed.

    python bench/outbox_latency.py --rate 200 --seconds 60

Targets: p50 < 150 ms, p99 < 1 s. The reference is the bare cost of the same emit transaction
(insert + commit) measured in the same run, so the figures show what the hand-off adds.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

EVENT_TYPE = "bench.latency"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200, help="events per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="django-q2 workers in the cluster")
    args = parser.parse_args()
    os.environ["OUTBOX_NUDGE_ON_COMMIT"] = "true"
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")  # shared nudge key, as in production
    url = _common.setup()

    from django.db import connection, transaction
    from django.db.models import F

    from classpoint.models import OutboxEvent
    from classpoint.outbox import emit, worker

    worker.drain()  # start from an empty queue
    OutboxEvent.objects.filter(event_type=EVENT_TYPE).delete()
    from django_q.models import OrmQ

    OrmQ.objects.all().delete()

    env = {**os.environ, "Q_WORKERS": str(args.workers), "Q_SCHEDULER": "false"}
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=_common.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        time.sleep(4)  # cluster start-up
        interval = 1.0 / args.rate
        total = args.rate * args.seconds
        emit_costs = []
        started = time.perf_counter()
        for i in range(total):
            target = started + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0 = time.perf_counter()
            with transaction.atomic():
                emit(school=None, event_type=EVENT_TYPE, payload={"i": i})
            emit_costs.append(time.perf_counter() - t0)
        sent_for = time.perf_counter() - started
        deadline = time.time() + 30
        while time.time() < deadline:
            if not OutboxEvent.objects.filter(event_type=EVENT_TYPE, processed_at__isnull=True).exists():
                break
            time.sleep(0.2)
    finally:
        # The cluster forks workers; stop the whole process group, or they outlive the bench.
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
        time.sleep(1)
        try:
            os.killpg(cluster.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    rows = OutboxEvent.objects.filter(event_type=EVENT_TYPE).annotate(lag=F("processed_at") - F("created_at"))
    lags = [r.lag.total_seconds() for r in rows if r.lag is not None]
    unprocessed = rows.filter(processed_at__isnull=True).count()
    lat = _common.summary_ms(lags)
    ref = _common.summary_ms(emit_costs)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "database": connection.vendor,
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "achieved_rate_per_s": round(total / sent_for, 1),
        "events": total,
        "unprocessed": unprocessed,
        "emit_to_processed": lat,
        "bare_emit_commit": ref,
        "p50_ratio_to_bare_emit": round(lat["p50_ms"] / ref["p50_ms"], 1) if ref["p50_ms"] else None,
    }
    print(f"database: {url.rsplit('@', 1)[-1]}  rate: {args.rate}/s for {args.seconds} s ({total} events)")
    print(f"emit -> processed : p50 {lat['p50_ms']} ms  p95 {lat['p95_ms']} ms  p99 {lat['p99_ms']} ms")
    print(f"bare emit+commit  : p50 {ref['p50_ms']} ms  p99 {ref['p99_ms']} ms  (reference, same run)")
    print(f"unprocessed after run: {unprocessed}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
