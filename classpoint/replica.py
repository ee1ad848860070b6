"""Reads that may be a moment stale, served by a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

The replica is opt-in per view: `@reads_may_lag` marks a page or endpoint whose reads may lag by a
few seconds (the dashboard, the main lists, their CSV exports, the KPI API). Everything else, and
every write, goes to the primary; so do tasks, the outbox worker and management commands, which run
in no marked view. Without a replica configured the router answers "default" and nothing else here
runs.

Inside a marked view a read still goes to the primary when:
- the request is not a GET/HEAD, or has written (through the ORM, or raw SQL on the primary);
- the primary is inside a transaction (the view wants that transaction's view of the data);
- the model is one of PRIMARY_ONLY_APPS: sign-in, sessions, tokens, 2FA and the kernel's own tables,
  where a revoked session or token must stop working at once, not after the replica catches up;
- the same browser session or API token wrote in the last REPLICA_PIN_SECONDS (read-your-writes: a
  form that saved and redirected to its list must show what it saved). The pin is a key in the
  shared cache (Redis once more than one process serves), set when an unsafe request starts, on its
  first write and again when it ends;
- the replica is unreachable, or further behind than REPLICA_MAX_LAG_SECONDS or the pin
  (classpoint.replica_probe).

Why a contextvar and request signals rather than a middleware: the state must reach the router, which
only sees a model; and a streamed CSV export reads its rows after the view has returned, which the
decorator covers by re-entering the marked state while each chunk is produced.
"""

import contextlib
import functools
import hashlib
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import InterfaceError, OperationalError, connections
from django.http.cookie import parse_cookie

from . import cache as shared_cache
from . import replica_probe
from .replica_probe import REPLICA

logger = logging.getLogger(__name__)

DEFAULT = "default"
MARKED_METHODS = frozenset({"GET", "HEAD"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Read from the primary whatever the view: who is signed in, with which session, token or second
# factor, and the kernel's own tables (audit log, outbox, feature flags, maintenance), which are
# small, and some of which are security decisions. Writes to these pin nothing: no read of them is
# ever served stale, so an export's own audit entry does not send the export to the primary.
PRIMARY_ONLY_APPS = frozenset(
    {"auth", "sessions", "authtoken", "axes", "otp_totp", "otp_static", "django_otp", "admin", "django_q", "classpoint"}
)
PIN_KEY = "replica-pin:{}"
_RAW_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE)\s+[\"`]?(\w+)", re.I)


@dataclass
class RequestState:
    pin_key: str | None  # the cache key of this browser session or API token, if it has one
    unsafe: bool
    wrote: bool = False
    pinned: bool | None = None  # looked up on the request's first replica-eligible read
    connected: bool | None = None  # the replica connection was checked for this request
    replica_failed: bool = False  # a query sent to the replica failed during this request


_request = ContextVar("classpoint_replica_request", default=None)
_marked = ContextVar("classpoint_replica_marked", default=False)


def pin_key(session_key, authorization):
    """A token's requests share one pin, a browser session's another; anonymous requests have none.
    Hashed: cache keys must not carry credentials."""
    who = (authorization or "").strip() or (session_key or "")
    return PIN_KEY.format(hashlib.sha256(who.encode()).hexdigest()[:40]) if who else None


def _pin(state):
    if state.pin_key is None:
        return
    try:
        cache.set(state.pin_key, 1, settings.REPLICA_PIN_SECONDS)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the write that asked for a pin
        logger.warning("could not pin %s to the primary", state.pin_key, exc_info=True)


def _is_pinned(state):
    if state.pin_key is None:
        return False
    if shared_cache.unavailable():  # a pin set before the outage cannot be read: assume one
        return True
    try:
        return cache.get(state.pin_key) is not None
    except Exception:  # noqa: BLE001 - unsure whether this user just wrote: read from the primary
        return True


# --- the request's state, from Django's request signals -------------------------------------------


def _request_started(sender, environ=None, scope=None, **kwargs):
    _marked.set(False)
    if not replica_probe.configured():
        _request.set(None)
        return
    if environ is not None:
        method = environ.get("REQUEST_METHOD", "")
        cookie, auth = environ.get("HTTP_COOKIE", ""), environ.get("HTTP_AUTHORIZATION", "")
    else:  # ASGI
        scope = scope or {}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method, cookie, auth = scope.get("method", ""), headers.get("cookie", ""), headers.get("authorization", "")
    session_key = parse_cookie(cookie).get(settings.SESSION_COOKIE_NAME) if cookie else None
    state = RequestState(pin_key=pin_key(session_key, auth), unsafe=method.upper() not in SAFE_METHODS)
    _request.set(state)
    if state.unsafe:
        _pin(state)  # now, not only at the end: the browser may follow the redirect before we finish


def _request_finished(sender, **kwargs):
    state = _request.get()
    if state is not None and (state.unsafe or state.wrote):
        _pin(state)  # again, so the window counts from the commit, however long the request took
    _request.set(None)
    _marked.set(False)


request_started.connect(_request_started, dispatch_uid="classpoint-replica-request-started")
request_finished.connect(_request_finished, dispatch_uid="classpoint-replica-request-finished")


# --- the router -----------------------------------------------------------------------------------


def replica_readable(model):
    return model._meta.app_label not in PRIMARY_ONLY_APPS


def _note_write(state):
    if not state.wrote:
        state.wrote = True
        _pin(state)


def may_read_replica(model):
    """Whether a read of `model` may go to the replica, now, in this request."""
    if not _marked.get():
        return False
    state = _request.get()
    if state is None or state.unsafe or state.wrote or not replica_readable(model):
        return False
    if connections[DEFAULT].in_atomic_block:
        return False
    if state.pinned is None:
        state.pinned = _is_pinned(state)
    if state.pinned or not replica_probe.fit():
        return False
    if state.connected is None:
        state.connected = replica_probe.connect()
    return state.connected


class ReplicaRouter:
    """DATABASE_ROUTERS' one router. It names "default" explicitly rather than answering None:
    Django would otherwise follow an object read from the replica back to the replica to save it."""

    def db_for_read(self, model, **hints):
        return REPLICA if may_read_replica(model) else DEFAULT

    def db_for_write(self, model, **hints):
        state = _request.get()
        if state is not None and replica_readable(model):
            _note_write(state)
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: a pupil read there may be an invoice's pupil here.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None  # a standby replays the primary's migrations


@functools.cache
def _primary_only_tables():
    return frozenset(
        model._meta.db_table.lower()
        for model in apps.get_models(include_auto_created=True)
        if not replica_readable(model)
    )


def _watch_raw_writes(execute, sql, params, many, context):
    # A write that bypasses the ORM (raw SQL, a bulk helper) never asks the router; seen here on its
    # way to the primary, it pins the request all the same.
    state = _request.get()
    if state is not None and not state.wrote:
        match = _RAW_WRITE.match(sql)
        if match and match.group(1).lower() not in _primary_only_tables():
            _note_write(state)
    return execute(sql, params, many, context)


# --- marking views --------------------------------------------------------------------------------


def _watch_replica_errors(execute, sql, params, many, context):
    # The replica stopped or failed over after this request checked it: noted, so the page is made
    # again on the primary (_serve), and marked down, so the next requests do not try it.
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError) as exc:
        state = _request.get()
        if state is not None:
            state.replica_failed, state.connected = True, False
        replica_probe.mark_down(exc)
        raise


@contextlib.contextmanager
def _marked_scope():
    token = _marked.set(True)
    try:
        with contextlib.ExitStack() as watching:
            watching.enter_context(connections[DEFAULT].execute_wrapper(_watch_raw_writes))
            if replica_probe.configured():
                watching.enter_context(connections[REPLICA].execute_wrapper(_watch_replica_errors))
            yield
    finally:
        _marked.reset(token)


def _marked_chunks(chunks):
    # A streamed export reads its rows while the server sends them, after the view has returned:
    # the marked state is re-entered for the making of each chunk, and only then.
    chunks = iter(chunks)
    while True:
        with _marked_scope():
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


def _serve(request, call, args, kwargs):
    if request.method not in MARKED_METHODS or not replica_probe.configured():
        return call(request, *args, **kwargs)
    if _request.get() is None:
        # This module was imported during the request (the process's first), after it started.
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        _request.set(RequestState(pin_key=pin_key(session_key, request.headers.get("Authorization")), unsafe=False))
    try:
        with _marked_scope():
            response = call(request, *args, **kwargs)
    except (OperationalError, InterfaceError):
        state = _request.get()
        if state is None or not state.replica_failed:
            raise  # the primary's error: the page answers it (503 while the database is away)
        # The replica went away under this page. It is a read (GET/HEAD): made again on the primary
        # rather than answered with an error; the replica is marked down, so nothing goes there now.
        logger.info("replica lost during %s; read again from the primary", request.path)
        response = call(request, *args, **kwargs)
    if getattr(response, "streaming", False):
        response.streaming_content = _marked_chunks(response.streaming_content)
    return response


def reads_may_lag(view):
    """Marks a view whose GET/HEAD reads may come from the replica, a few seconds behind.

    Put it next to the view, below the access decorators (`@school_view`): who may see the page is
    decided on the primary before any read moves. On a class (a Django or DRF view) it wraps `get`,
    which both call after their permission checks, and HEAD, which Django serves with `get`."""
    if isinstance(view, type):
        original = view.get

        @functools.wraps(original)
        def get(self, request, *args, **kwargs):
            return _serve(request, functools.partial(original, self), args, kwargs)

        view.get = get
        view.reads_may_lag = True
        return view

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return _serve(request, view, args, kwargs)

    wrapper.reads_may_lag = True
    return wrapper
