"""Is the read replica fit to answer now: reachable, and no further behind the primary than
REPLICA_MAX_LAG_SECONDS? The router (classpoint/replica.py) asks before it sends a read there; the
health check, the ops checklist and /metrics report the same reading, so all four agree.

The answer is kept per process and read again at most every CHECK_SECONDS, so a page pays for the
lag query a few times a minute, not on every request. A replica that cannot be reached is left
alone for DOWN_SECONDS: while it is stopped, reads go to the primary and no request waits on a
connect timeout more than once per process in that window.
"""

import contextlib
import logging
import math
import threading
import time

from django.conf import settings
from django.db import connections
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

REPLICA = "replica"
CHECK_SECONDS = 5.0
DOWN_SECONDS = 10.0

# How far behind the primary the replica reads. On a primary that writes nothing the last replayed
# transaction grows old though nothing is missing, so a standby still streaming that has replayed
# everything it received is 0 behind. Once it stops receiving (the primary is unreachable from it)
# its replay time is the truth: it can only fall further behind, which sends reads to the primary.
# A server not in recovery is no standby (a development copy pointed at the primary, the test
# mirror): it is never behind. pg_stat_wal_receiver shows a row (its pid, details hidden) to any
# role while a WAL receiver runs.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(
        EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 'Infinity'::float8
    )
END
"""


class _Reading:
    def __init__(self):
        self.lock = threading.Lock()
        self.checked = -math.inf  # time.monotonic() of the last reading
        self.down_until = -math.inf
        self.lag = None  # seconds behind at the last reading; None: unknown or unreachable
        self.error = ""


_reading = _Reading()


def max_lag():
    """The most the replica may be behind and still answer. No more than the read-your-writes pin
    (settings.py): a user whose pin has just expired must not be shown a replica older than their
    own change."""
    return min(settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS)


def configured():
    """Whether a replica is set up (DATABASE_REPLICA_URL). Without one nothing here runs."""
    return REPLICA in connections.settings


def forget():
    """Back to knowing nothing (tests, and a process that just changed its replica)."""
    _reading.checked = _reading.down_until = -math.inf
    _reading.lag, _reading.error = None, ""


def read_lag():
    """Seconds the replica is behind, read from it now; raises when it cannot be queried."""
    replica = connections[REPLICA]
    with replica.cursor() as cursor:
        if replica.vendor != "postgresql":
            cursor.execute("SELECT 1")  # no replication to measure: reachable is all there is
            cursor.fetchone()
            return 0.0
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


def mark_down(exc):
    """The replica failed us: reads go to the primary for DOWN_SECONDS before it is tried again."""
    was_down = bool(_reading.error)
    now = time.monotonic()
    _reading.checked, _reading.down_until = now, now + DOWN_SECONDS
    first_line = (str(exc).strip().splitlines() or [""])[0]
    _reading.lag, _reading.error = None, f"{type(exc).__name__}: {first_line}"[:200]
    if not was_down:  # once per outage, not once per request
        logger.warning("read replica unavailable, reads go to the primary: %s", _reading.error)
    # A broken connection must not be handed out again; closing what is already broken may fail too.
    with contextlib.suppress(Exception):
        connections[REPLICA].close()


def refresh():
    """Reads the lag now and remembers it; returns it, or None when the replica is unreachable."""
    try:
        lag = read_lag()
    except Exception as exc:  # noqa: BLE001 - refused, timed out, in recovery trouble: all mean "not now"
        mark_down(exc)
        return None
    if _reading.error:
        logger.warning("read replica reachable again (%.1f s behind)", lag)
    _reading.checked, _reading.lag, _reading.error = time.monotonic(), lag, ""
    return lag


def fit():
    """True when the last reading (at most CHECK_SECONDS old) says the replica is reachable and
    at most max_lag() behind. One thread reads at a time; the others use the reading they have."""
    now = time.monotonic()
    if now < _reading.down_until:
        return False
    if now - _reading.checked >= CHECK_SECONDS and _reading.lock.acquire(blocking=False):
        try:
            refresh()
        finally:
            _reading.lock.release()
    return _reading.lag is not None and _reading.lag <= max_lag()


def connect():
    """Makes sure this thread's replica connection works before a request's first read is sent
    there (a persistent connection may have died with a stopped or restarted replica): a request
    that finds it broken reads from the primary instead of failing. The check is the one Django runs
    on a request's first query (CONN_HEALTH_CHECKS), run here whether or not Django has reset it for
    this request, and counted as that one."""
    replica = connections[REPLICA]
    try:
        if replica.connection is not None and not replica.is_usable():
            replica.close()
        if replica.connection is None:
            replica.ensure_connection()
            # Through PgBouncer a connection is accepted before any server is reached: a stopped
            # replica shows only at the first query, so a new connection answers one here.
            with replica.cursor() as cursor:
                cursor.execute("SELECT 1")
        replica.health_check_done = True
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "read from the primary"
        mark_down(exc)
        return False
    return True


def _lag_figure(lag):
    return None if lag is None or math.isinf(lag) else round(lag, 3)


def check_replica():
    """/api/health's `database:replica`: degraded, never unhealthy, when the replica is stopped or
    behind, because reads then go to the primary and this node still serves every page."""
    lag = refresh()
    detail = {"lag_seconds": _lag_figure(lag), "max_lag_seconds": max_lag()}
    if lag is None:
        return "degraded", {**detail, "error": _reading.error.split(":", 1)[0], "reads": "primary"}
    if lag > max_lag():
        return "degraded", {**detail, "reads": "primary"}
    return "healthy", {**detail, "reads": "replica"}


def describe():
    """One line for the ops checklist: (fit, text)."""
    lag = refresh()
    if lag is None:
        return False, f"unreachable ({_reading.error}); reads go to the primary"
    text = f"reachable ({connections[REPLICA].vendor}), {_lag_figure(lag)} s behind"
    if lag > max_lag():
        return False, f"{text}, over the {max_lag():g} s limit; reads go to the primary"
    return True, text


class ReplicaCollector:
    """classpoint_replica_up and classpoint_replica_lag_seconds, read at scrape time; nothing at
    all without a replica, so a deployment without one shows no series to alert on."""

    def describe(self):
        return []

    def collect(self):
        if not configured():
            return
        lag = refresh()
        yield GaugeMetricFamily(
            "classpoint_replica_up", "Whether this node can query the read replica.", value=int(lag is not None)
        )
        yield GaugeMetricFamily(
            "classpoint_replica_lag_seconds",
            "Seconds the read replica is behind the primary (+Inf when unreachable); reads move to "
            "the primary past REPLICA_MAX_LAG_SECONDS.",
            value=math.inf if lag is None else lag,
        )


try:
    REGISTRY.register(ReplicaCollector())
except ValueError:  # already registered (module re-import in tests)
    pass
