"""Request ids in the logs (classpoint/logs.py): every line carries the id of the request it serves,
as plain text or, with LOG_FORMAT=json, one JSON object per line; the id travels into the outbox
events a request emits and the tasks it queues, and their handlers log under it in turn."""

import io
import json
import logging
import os
import re
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import path
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from classpoint import school_archive_import as sai
from classpoint.context import request_id_var
from classpoint.logs import (
    TASK_KEY,
    JsonFormatter,
    PlainFormatter,
    RequestIdFilter,
    enter_task,
    leave_task,
    request_id_scope,
    tag_task,
)
from classpoint.models import OutboxEvent
from classpoint.outbox import emit, emit_many, worker
from classpoint.outbox.registry import _handlers, handles
from classpoint.scoping import for_school
from schools.models import School

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("classpoint.tests.json_logs")
task_ids = []  # what `remember_request_id` saw, task by task


def remember_request_id():
    log.info("task ran")
    task_ids.append(request_id_var.get())


def probe(request):
    """A view that does what real views do: logs, emits an event and queues a task."""
    log.info("probe answered", extra={"pupils": 3, "request": request})
    emit(school=None, event_type="test.logs.probe", payload={})
    async_task(remember_request_id)
    return HttpResponse("ok")


urlpatterns = [path("log-probe/", probe)]


@pytest.fixture
def json_lines():
    """The JSON lines everything logs while the test runs, through the filter and formatter
    LOG_FORMAT=json installs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    task_ids.clear()
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def probe_handler():
    """An outbox handler that logs, emits a follow-up event and queues a task."""
    seen = []

    @handles("test.logs.probe")
    def handle(event):
        log.info("probe event handled")
        seen.append(request_id_var.get())
        emit(school=None, event_type="test.logs.follow-up", payload={})
        async_task(remember_request_id)

    yield seen
    _handlers["test.logs.probe"].remove(handle)


@pytest.mark.urls(__name__)
def test_a_request_s_id_reaches_its_log_lines_its_event_its_task_and_the_handler(db, client, json_lines, probe_handler):
    # when a request arrives with an id
    response = client.get("/log-probe/", headers={"X-Request-ID": "req-abc.123"})

    # then the id is echoed, and the view's line, as JSON, carries it with its JSON-safe extras
    assert response.status_code == 200 and response["X-Request-ID"] == "req-abc.123"
    (line,) = [entry for entry in json_lines() if entry["message"] == "probe answered"]
    assert line["request_id"] == "req-abc.123" and line["level"] == "INFO" and line["pupils"] == 3
    assert line["logger"] == "classpoint.tests.json_logs" and "request" not in line  # not serialisable
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    # the event it emitted stores the id; the task it queued (run inline here) ran under it
    assert OutboxEvent.objects.get(event_type="test.logs.probe").request_id == "req-abc.123"
    assert task_ids == ["req-abc.123"]
    assert request_id_var.get() == ""  # nothing leaks out of the request

    # when the worker handles the event, outside any request
    worker.drain()

    # then the handler, the event it emits, the task it queues and their lines share the id
    assert probe_handler == ["req-abc.123"]
    assert OutboxEvent.objects.get(event_type="test.logs.follow-up").request_id == "req-abc.123"
    assert task_ids == ["req-abc.123", "req-abc.123"]
    handled = [e for e in json_lines() if e["message"] in ("probe event handled", "task ran")]
    assert [e["request_id"] for e in handled] == ["req-abc.123"] * 3
    assert request_id_var.get() == ""  # the worker resets it after each event


def test_an_event_emitted_outside_any_request_is_handled_under_its_own_name(db, probe_handler):
    event = emit(school=None, event_type="test.logs.probe", payload={})
    assert event.request_id == ""
    worker.drain()
    assert probe_handler == [f"evt-{event.pk}"]
    assert OutboxEvent.objects.get(event_type="test.logs.follow-up").request_id == f"evt-{event.pk}"


def test_a_failing_handler_s_warning_is_logged_under_the_event_s_id(db, json_lines):
    @handles("test.logs.failing")
    def fail(event):
        raise RuntimeError("provider is down")

    try:
        with request_id_scope("req-fail"):
            emit(school=None, event_type="test.logs.failing")
        worker.drain()
    finally:
        _handlers["test.logs.failing"].remove(fail)
    (line,) = [e for e in json_lines() if "provider is down" in e["message"]]
    assert line["request_id"] == "req-fail" and line["level"] == "WARNING"


def test_a_batch_handler_runs_under_its_events_id_or_a_batch_id_that_names_them(db, json_lines):
    seen = []

    @handles("test.logs.batched", batch=True)
    def handle(events):
        seen.append(request_id_var.get())

    try:
        with request_id_scope("req-one"):
            emit(school=None, event_type="test.logs.batched")
            emit(school=None, event_type="test.logs.batched")
        worker.drain()
        with request_id_scope("req-two"):
            emit(school=None, event_type="test.logs.batched")
        with request_id_scope("req-three"):
            emit(school=None, event_type="test.logs.batched")
        worker.drain()
    finally:
        _handlers["test.logs.batched"].remove(handle)
    shared, mixed = seen
    assert shared == "req-one" and mixed.startswith("batch-")
    (line,) = [e for e in json_lines() if e["message"].startswith("outbox batch ")]
    assert line["message"] == f"outbox batch {mixed} handles events of requests req-three req-two"


@pytest.mark.parametrize("count", [3, 600])  # the bulk INSERT, and COPY on PostgreSQL
def test_emit_many_stores_the_request_id_on_every_row(school, count):
    with request_id_scope("req-batch"):
        emit_many(school=school, events=[("test.logs.bulk", {"n": i}, f"bulk:{i}") for i in range(count)])
    ids = OutboxEvent.objects.filter(event_type="test.logs.bulk").values_list("request_id", flat=True)
    assert list(ids) == ["req-batch"] * count


def test_a_task_queued_outside_a_request_gets_a_fresh_id_per_run(db, json_lines):
    async_task(remember_request_id)
    async_task(remember_request_id)
    first, second = task_ids
    assert first.startswith("task-") and second.startswith("task-") and first != second
    assert request_id_var.get() == ""  # the worker resets it after each task
    assert [e["request_id"] for e in json_lines() if e["message"] == "task ran"] == [first, second]


def test_the_task_receivers_tag_enter_and_leave():
    # pre_enqueue: the queuing request's id, kept through django-q2's signed pickle
    task = {"id": "t1", "name": "x", "func": "f", "args": (), "kwargs": {}}
    with request_id_scope("req-q"):
        tag_task(sender="django_q", task=task)
    assert SignedPackage.loads(SignedPackage.dumps(task))[TASK_KEY] == "req-q"
    # pre_execute / post_execute_in_worker: set around the function, then undone
    enter_task(sender="django_q", task=task)
    assert request_id_var.get() == "req-q"
    leave_task(sender="django_q", task=task)
    assert request_id_var.get() == ""
    leave_task(sender="django_q", task=task)  # twice, or for a task never entered: no error
    # a task queued before the receivers existed still runs under an id of its own
    enter_task(sender="django_q", task={"id": "t2"})
    assert request_id_var.get().startswith("task-")
    leave_task(sender="django_q", task={"id": "t2"})
    assert request_id_var.get() == ""


def _record(message="hello", exc_info=None, **extra):
    record = logging.LogRecord("classpoint.x", logging.ERROR, __file__, 1, message, (), exc_info)
    record.__dict__.update(extra)
    RequestIdFilter().filter(record)
    return record


def test_the_plain_line_shows_the_request_id_or_a_dash():
    formatter = PlainFormatter(django_settings.LOGGING["formatters"]["plain"]["format"])
    with request_id_scope("req-plain"):
        assert formatter.format(_record()).endswith("ERROR classpoint.x [req-plain] hello")
    assert formatter.format(_record()).endswith("ERROR classpoint.x [-] hello")


def test_a_json_line_holds_the_exception_and_the_scope_s_school(school):
    try:
        raise ValueError("bad value")
    except ValueError:
        exc_info = sys.exc_info()
    with for_school(school):
        line = json.loads(JsonFormatter().format(_record(exc_info=exc_info, nan=float("nan"))))
    assert "ValueError: bad value" in line["exc"] and line["school"] == "greenfield"
    assert line["request_id"] is None and "nan" not in line  # NaN is not JSON


def _django(log_format, code, **env_vars):
    env = {**os.environ, "LOG_FORMAT": log_format, "DJANGO_SETTINGS_MODULE": "classpoint.settings", **env_vars}
    setup = "import django, logging\ndjango.setup()\nfrom classpoint.logs import request_id_scope\n"
    return subprocess.run(
        [sys.executable, "-c", setup + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_log_format_json_configures_json_lines_and_nothing_else():
    # DEBUG on: Django's own DEBUG-only console handler must not print the line a second time, plain
    code = "with request_id_scope('req-env'):\n    logging.getLogger('django.request').warning('hi %s', 1)"
    done = _django("json", code, DEBUG="true")
    assert done.returncode == 0, done.stderr
    (line,) = [json.loads(text) for text in done.stderr.splitlines() if text.strip()]
    assert line["message"] == "hi 1" and line["request_id"] == "req-env" and line["logger"] == "django.request"


def test_an_unknown_log_format_is_refused():
    done = _django("xml", "pass")
    assert done.returncode != 0
    assert "ImproperlyConfigured: LOG_FORMAT must be plain or json" in done.stderr


def _gunicorn_conf(monkeypatch, log_format):
    monkeypatch.setenv("LOG_FORMAT", log_format)
    return runpy.run_path(str(ROOT / "deploy/gunicorn/gunicorn.conf.py"))


def _access_line(conf, logger_class, user_agent):
    environ = {
        "REMOTE_ADDR": "10.0.0.7",
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/s/greenfield/?q=1",
        "PATH_INFO": "/s/greenfield/",
        "QUERY_STRING": "q=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": user_agent,
    }
    response = SimpleNamespace(status="200 OK", headers=[("X-Request-ID", "req-gun")], sent=512)
    request = SimpleNamespace(headers=[("USER-AGENT", user_agent)])
    logger = logger_class.__new__(logger_class)  # atoms() needs no configured handlers
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=42))
    return conf["access_log_format"] % logger.atoms_wrapper_class(atoms)


def test_the_json_access_line_is_json_whatever_the_user_agent_holds(monkeypatch):
    conf = _gunicorn_conf(monkeypatch, "json")
    agent = 'Mozilla/5.0 "quoted" back\\slash \t tab'
    line = json.loads(_access_line(conf, conf["logger_class"], agent))
    assert line["request_id"] == "req-gun" and line["status"] == 200 and line["duration_ms"] == 42
    assert line["user_agent"] == agent and line["path"] == "/s/greenfield/" and line["query"] == "q=1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_the_plain_access_line_ends_with_the_request_id(monkeypatch):
    from gunicorn.glogging import Logger

    conf = _gunicorn_conf(monkeypatch, "plain")
    assert "logger_class" not in conf
    assert _access_line(conf, Logger, "curl/8").endswith('"curl/8" req-gun')
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be plain or json"):
        _gunicorn_conf(monkeypatch, "xml")


def test_an_event_s_request_id_travels_with_its_school(school, tmp_path):
    with request_id_scope("req-moved"):
        emit(school=school, event_type="test.logs.moved", payload={}, dedupe_key="moved")
    archive = tmp_path / "greenfield.tar.gz"
    call_command("export_school", school=school.slug, out=str(archive), stdout=io.StringIO())
    sai.import_school(archive=str(archive), slug="greenfield-moved")
    copy = School.objects.get(slug="greenfield-moved")
    assert OutboxEvent.objects.get(school=copy, event_type="test.logs.moved").request_id == "req-moved"
