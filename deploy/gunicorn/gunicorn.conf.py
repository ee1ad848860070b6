"""gunicorn settings for a Classpoint web node: `gunicorn -c deploy/gunicorn/gunicorn.conf.py classpoint.wsgi`.

Metrics across workers: with PROMETHEUS_MULTIPROC_DIR set in the environment (an empty folder the
node's user owns, e.g. /run/classpoint/prometheus), each worker writes its counters and histograms
there and /metrics adds them up (classpoint/metrics.py). Without it a scrape reaches one worker and
reports that worker's counts alone, which Prometheus reads as counter resets between scrapes.
"""

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"


def on_starting(server):
    # Files of a previous run would be added to this one's counts.
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's live gauges must stop counting; its counters keep adding up.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
