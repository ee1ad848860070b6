"""/metrics for a task cluster (`manage.py qcluster`), which serves no HTTP of its own.

What happens only in the workers is counted only there: provider errors and messages by status
(messaging's sends), outbox handling, imports. django-q2 forks its workers from the cluster's master,
so each worker writes its counters to PROMETHEUS_MULTIPROC_DIR and the master serves their sum on
WORKER_METRICS_PORT for Prometheus' `classpoint-worker` job (deploy/prometheus/prometheus.yml).

Only these counters: the figures read from the database at scrape time (outbox backlog, workers'
heartbeats...) are the web nodes' to report, once.
"""

import logging
import multiprocessing
import os
import shutil
import sys

from django.conf import settings

log = logging.getLogger(__name__)


def serving_cluster(argv=None):
    """Whether this process is a task cluster's master that should serve worker metrics."""
    argv = sys.argv if argv is None else argv
    # A worker started with the "spawn" method re-runs setup with the master's argv: it must not
    # try to take the master's port.
    master = multiprocessing.parent_process() is None
    return master and bool(settings.WORKER_METRICS_PORT) and len(argv) > 1 and argv[1] == "qcluster"


def serve(port, addr="0.0.0.0"):  # noqa: S104 - Prometheus scrapes the worker host's private address
    """Starts the HTTP server (a daemon thread) over every worker process's counters. Called in the
    master before it forks its workers; the files of a previous run are cleared first, as gunicorn's
    on_starting does for the web nodes, or they would be added to this run's counts."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        raise RuntimeError(
            "WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR set in the cluster's environment "
            "(an empty folder its user owns): the counters are written in the forked workers."
        )
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    log.info("task cluster metrics on %s:%s/metrics", addr, port)
    return server


def maybe_serve():
    if serving_cluster():
        serve(settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDR)
