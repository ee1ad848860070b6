"""gunicorn settings for a Classpoint web node: `gunicorn -c deploy/gunicorn/gunicorn.conf.py classpoint.wsgi`.

Metrics across workers: with PROMETHEUS_MULTIPROC_DIR set in the environment (an empty folder the
node's user owns, e.g. /run/classpoint/prometheus), each worker writes its counters and histograms
there and /metrics adds them up (classpoint/metrics.py). Without it a scrape reaches one worker and
reports that worker's counts alone, which Prometheus reads as counter resets between scrapes.

Access log: each line ends with the request's id (the X-Request-ID response header the app sets),
the id its application log lines carry. LOG_FORMAT=json (the app's setting, read here as well)
writes each access line as one JSON object, in the shape of the app's JSON lines.
"""

import json
import os
import shutil
import time

from gunicorn.glogging import Logger, SafeAtoms

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"

LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise RuntimeError("LOG_FORMAT must be plain or json")

# The combined format, then the request id ("-" when the app never answered: a request gunicorn
# itself refused).
PLAIN_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
# Every string atom is written inside quotes and escaped by JsonAtoms; %(s)s (the status) and %(M)s
# (milliseconds taken) are always numbers.
JSON_ACCESS_FORMAT = (
    '{"time": "%(t)s", "level": "INFO", "logger": "gunicorn.access", "request_id": "%({x-request-id}o)s", '
    '"remote_addr": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", "protocol": "%(H)s", '
    '"status": %(s)s, "bytes": "%(b)s", "duration_ms": %(M)s, "referer": "%(f)s", "user_agent": "%(a)s", '
    '"process": "%(p)s"}'
)


class JsonAtoms(SafeAtoms):
    """gunicorn's own wrapper escapes double quotes only; a backslash or a control character in a
    user agent or a path would still break the line. JSON-escape every string instead."""

    def __init__(self, atoms):
        # Not SafeAtoms.__init__: it would escape the quotes json.dumps has escaped already.
        dict.__init__(self, {k: json.dumps(v)[1:-1] if isinstance(v, str) else v for k, v in atoms.items()})


class JsonAccessLogger(Logger):
    atoms_wrapper_class = JsonAtoms

    def now(self):
        # The app's JSON time: UTC, ISO 8601, milliseconds.
        seconds = time.time()
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


if LOG_FORMAT == "json":
    logger_class = JsonAccessLogger
    access_log_format = JSON_ACCESS_FORMAT
else:
    access_log_format = PLAIN_ACCESS_FORMAT


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
