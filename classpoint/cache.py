"""The shared cache (Redis) helps serving; it is never needed to serve.

What Classpoint keeps there can be lost or recomputed: the host-to-school map, the dashboard's head
counts, branding data URIs, the outbox nudge, read-your-writes pins, rate-limit windows. So a Redis
that is stopped, restarting or unreachable answers as a cache miss instead of failing the request:
reads return their default, writes are dropped, `incr` says the key is gone (a rate-limit window
starts again: limits fail open for the outage, which the log and `classpoint_cache_errors_total` show).

After a failure the process stops asking for RETRY_SECONDS, so an outage costs each process one
connect timeout every few seconds rather than one per cache call. `unavailable()` tells callers whose
safe answer is not a miss (the replica router: "did this user just write?" must then be "yes").
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from prometheus_client import Counter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)

CACHE_ERRORS = Counter(
    "classpoint_cache_errors",
    "Cache calls answered as a miss because the shared cache (Redis) failed or was left alone after a failure.",
    ["operation"],
)


class _Outage:
    down_until = 0.0  # time.monotonic(); per process, as each process has its own connections


_outage = _Outage()


def unavailable():
    """Whether this process is riding out a cache outage (the last call failed moments ago)."""
    return time.monotonic() < _outage.down_until


def forget():
    """Back to trusting the cache (tests; a process told Redis is back)."""
    _outage.down_until = 0.0


def _missing(*args, **kwargs):
    raise ValueError("key not found: the cache is unavailable")


def _survives(fallback):
    """Runs the cache call; during an outage answers `fallback(*args, **kwargs)` instead."""

    def decorate(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if unavailable():
                CACHE_ERRORS.labels(operation=method.__name__).inc()
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except OUTAGE as exc:
                if not unavailable():  # once per outage and retry, not once per call
                    log.warning("cache unavailable, serving without it for %.0f s: %s", RETRY_SECONDS, exc)
                _outage.down_until = time.monotonic() + RETRY_SECONDS
                CACHE_ERRORS.labels(operation=method.__name__).inc()
                return fallback(*args, **kwargs)

        return call

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering a miss when Redis is unreachable (see the module's doc)."""

    get = _survives(_default)(RedisCache.get)
    get_many = _survives(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _survives(lambda *a, **k: False)(RedisCache.has_key)
    set = _survives(lambda *a, **k: None)(RedisCache.set)
    set_many = _survives(lambda data, *a, **k: list(data))(RedisCache.set_many)
    # "Not added": a nudge is skipped (the minute schedule drains) rather than sent by every caller.
    add = _survives(lambda *a, **k: False)(RedisCache.add)
    touch = _survives(lambda *a, **k: False)(RedisCache.touch)
    delete = _survives(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _survives(lambda *a, **k: None)(RedisCache.delete_many)
    incr = _survives(_missing)(RedisCache.incr)
    decr = _survives(_missing)(RedisCache.decr)
    clear = _survives(lambda *a, **k: None)(RedisCache.clear)
