"""Log lines that say which request they belong to: the web request's id, carried into the tasks it
enqueues and the outbox events it emits, so one search follows a click through every process that
acted on it.

`LOG_FORMAT` (settings) picks the line: `plain` for a person at a terminal, `json` (one object per
line) for a log shipper. Both carry the request id; the filter puts it on every record, whichever
logger made it. The django-q2 receivers at the end are connected in `ClasspointConfig.ready()`;
this module is loaded while logging is configured, before the app registry, so it imports no
models and no django_q.
"""

import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime

from django_scopes.state import get_scope

from .context import request_id_var

# The key a django-q2 task package carries its id under. django-q2 pickles the whole dict into its
# queue and back, and reads only the keys it knows, so an extra key travels untouched.
TASK_KEY = "classpoint_request_id"
# OutboxEvent.request_id's length: an id longer than this would not fit on an event emitted under it.
MAX_ID_LENGTH = 64


def new_request_id(prefix):
    """A fresh id for work no request started (a scheduled task, a command)."""
    return f"{prefix}-{uuid.uuid4().hex}"


@contextlib.contextmanager
def request_id_scope(request_id):
    token = request_id_var.set(request_id[:MAX_ID_LENGTH])
    try:
        yield
    finally:
        request_id_var.reset(token)


def _scope_school():
    """(slug, id) of the school the current django-scopes scope is bound to, without a query: a
    request's scope holds the School row (its slug is at hand), a handler's only the school's id."""
    school = get_scope().get("school")
    if school is None or isinstance(school, list | tuple | set):
        return "", None  # none yet, or a request speaking for several schools
    if isinstance(school, int):
        return "", school
    # Read from the instance's own fields: a deferred slug would cost a query per log line.
    return school.__dict__.get("slug") or "", getattr(school, "pk", None)


class RequestIdFilter(logging.Filter):
    """Puts `request_id`, `school` and `school_id` on every record (a value given in `extra=` wins).
    Attached to the handlers, so records from every logger, the libraries' too, carry them."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            request_id = request_id_var.get()
            if not request_id:
                # django.request logs a 4xx response a view returned after the middleware has
                # finished (the id is reset by then); the record names the request.
                request_id = getattr(getattr(record, "request", None), "id", "")
            record.request_id = request_id if isinstance(request_id, str) else ""
        if "school" not in record.__dict__ or "school_id" not in record.__dict__:
            try:
                slug, school_id = _scope_school()
            except Exception:  # noqa: BLE001 - a log line must never fail for want of a school
                slug, school_id = "", None
            record.__dict__.setdefault("school", slug)
            record.__dict__.setdefault("school_id", school_id)
        return True


class PlainFormatter(logging.Formatter):
    """The plain line, with `-` for a record that has no request id (or never met the filter)."""

    def format(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = "-"
        return super().format(record)


# Attributes every LogRecord has; whatever else a record holds came from `extra=`.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "school",
    "school_id",
}


def _json_safe(value):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601, milliseconds), level, logger, message,
    request_id, school, process and thread names, `exc` for an exception, then the record's
    JSON-serialisable `extra=` fields (others, a request object say, are left out)."""

    def format(self, record):
        created = datetime.fromtimestamp(record.created, tz=UTC)
        line = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get() or None,
            "process": record.processName,
            "thread": record.threadName,
        }
        if getattr(record, "school", ""):
            line["school"] = record.school
        if getattr(record, "school_id", None) is not None:
            line["school_id"] = record.school_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and key not in line and not key.startswith("_") and _json_safe(value):
                line[key] = value
        return json.dumps(line, allow_nan=False)


# --- django-q2 signal receivers ---------------------------------------------------------------
# pre_enqueue runs where the task is queued (a request, a handler, the scheduler); pre_execute and
# post_execute_in_worker run in the worker process around the function. post_execute is sent by the
# cluster's monitor process, not the worker, so it cannot undo what pre_execute set.

_open_tasks = {}


def tag_task(sender, task, **kwargs):
    """pre_enqueue: the task carries the id of whatever queued it; a scheduled run, queued by no
    request, gets a fresh id so its lines still group."""
    if not task.get(TASK_KEY):
        task[TASK_KEY] = request_id_var.get() or new_request_id("task")


def enter_task(sender, task, **kwargs):
    """pre_execute: the task's logs, and the events and tasks it emits in turn, carry its id. A
    task queued before this receiver existed has none and gets a fresh one."""
    request_id = (task.get(TASK_KEY) or new_request_id("task"))[:MAX_ID_LENGTH]
    _open_tasks[task.get("id")] = request_id_var.set(request_id)


def leave_task(sender, task, **kwargs):
    """post_execute_in_worker: a worker process runs task after task; the next must not inherit it."""
    token = _open_tasks.pop(task.get("id"), None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (cannot happen in a worker loop); never fail a task
            request_id_var.set("")
