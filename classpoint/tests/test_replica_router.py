"""Reads that may lag go to the read replica, everything else to the primary (classpoint/replica.py).

The replica here is a second, read-only connection to the test database (a hot standby refuses
writes; this one does too, so a write routed to it fails the test): what a marked page reads on it
shows in its own captured queries. On PostgreSQL that connection can also be frozen in a snapshot
taken before a change, which is what a replica a few seconds behind looks like to a reader.

Every test here is transactional: inside TestCase's wrapping transaction the router keeps every
read on the primary (it never leaves an open transaction), and a second connection could not see
the rows anyway. Without a replica configured: test_replica_settings.py.
"""

import contextlib
import copy
import datetime
import socket

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections, connection, connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from classpoint import replica_probe
from classpoint.audit import record_export
from classpoint.ops_checks import OK, WARN, Context, check_databases
from classpoint.replica import REPLICA, ReplicaRouter, pin_key, reads_may_lag
from schools.models import Student
from schools.services.schools import api_token_create

STUDENTS = "/s/greenfield/students/"
KPI = "/api/v1/schools/greenfield/kpi/summary/"
STUDENT_TABLE = Student._meta.db_table
router = ReplicaRouter()
on_postgres = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="needs PostgreSQL"
)


def replica_settings(**overrides):
    config = copy.deepcopy(connections["default"].settings_dict)
    # Persistent, health-checked, like the real alias (settings.py); tests' default closes per request.
    config.update(CONN_MAX_AGE=None, CONN_HEALTH_CHECKS=True, TEST={**config["TEST"], "MIRROR": "default"})
    options = dict(config.get("OPTIONS") or {})
    if connection.vendor == "postgresql":
        options["options"] = "-c default_transaction_read_only=on"
    else:
        options["init_command"] = "PRAGMA query_only = ON;"
    config["OPTIONS"] = options
    config.update(overrides)
    return config


def use_replica(config):
    """Points the replica alias at `config`: the next use opens a connection with it."""
    for opened in connections.all(initialized_only=True):
        if opened.alias == REPLICA:
            opened.close()
            del connections[REPLICA]
    connections.settings[REPLICA] = config
    replica_probe.forget()
    return connections[REPLICA]


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup):
    """DATABASES["replica"] while this module runs, there before each test's database set-up so the
    test may use it (pytest-django checks the aliases a test names against DATABASES)."""
    use_replica(replica_settings())
    yield
    use_replica(replica_settings())  # closes this thread's connection
    del connections[REPLICA]
    del connections.settings[REPLICA]


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replica():
    alias = use_replica(replica_settings())
    yield alias
    alias.close()
    replica_probe.forget()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_settings():
    if connection.vendor == "postgresql":
        return replica_settings(HOST="127.0.0.1", PORT=closed_port(), OPTIONS={"connect_timeout": 2})
    return replica_settings(NAME="/nonexistent-classpoint-dir/replica.sqlite3")


def sql(captured):
    return "\n".join(query["sql"] for query in captured.captured_queries)


@contextlib.contextmanager
def watching(replica_alias):
    with CaptureQueriesContext(replica_alias) as on_replica, CaptureQueriesContext(connection) as on_primary:
        yield on_replica, on_primary


def serve(view, request):
    """Calls `view` the way a handler does, between the request signals the router listens to; like
    the test client, without closing the connections (a test's transaction lives on one)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        request_started.send(sender=None, environ=request.environ)
        try:
            return view(request)
        finally:
            request_finished.send(sender=None)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


# --- what goes where --------------------------------------------------------------------------------


def test_a_marked_list_reads_from_the_replica_and_other_pages_from_the_primary(replica, school, alice, verified_client):
    client = verified_client(alice)
    with watching(replica) as (on_replica, on_primary):
        response = client.get(STUDENTS)
    assert response.status_code == 200 and "GFAPupil" in response.content.decode()
    assert STUDENT_TABLE in sql(on_replica)
    assert STUDENT_TABLE not in sql(on_primary)
    # who is signed in, and may see the page, is read on the primary
    assert "django_session" in sql(on_primary) and "django_session" not in sql(on_replica)

    pupil = school.students.get()
    with watching(replica) as (on_replica, on_primary):
        assert client.get(f"/s/greenfield/students/{pupil.pk}/").status_code == 200
    assert on_replica.captured_queries == []
    assert STUDENT_TABLE in sql(on_primary)


def test_code_outside_a_marked_view_reads_the_primary(replica, school):
    # tasks, the outbox worker, management commands: none runs inside a marked view
    with watching(replica) as (on_replica, _):
        assert Student.objects.filter(school=school).count() == 1
    assert on_replica.captured_queries == []
    assert router.db_for_read(Student) == "default"


def test_inside_a_marked_view_writes_transactions_and_sign_in_tables_stay_on_the_primary(replica, school):
    pupil = school.students.get()
    seen = {}

    @reads_may_lag
    def view(request):
        seen["read"] = router.db_for_read(Student)
        seen["session"] = router.db_for_read(Session)
        seen["write"] = router.db_for_write(Student)
        return HttpResponse()

    @reads_may_lag
    def in_a_transaction(request):
        with transaction.atomic():
            seen["in transaction"] = router.db_for_read(Student)
        seen["after it"] = router.db_for_read(Student)
        return HttpResponse()

    serve(view, RequestFactory().get("/"))
    assert seen == {"read": REPLICA, "session": "default", "write": "default"}
    serve(in_a_transaction, RequestFactory().get("/"))
    assert seen["in transaction"] == "default" and seen["after it"] == REPLICA
    # a marked view answering a POST reads the primary throughout
    serve(view, RequestFactory().post("/"))
    assert seen["read"] == "default"
    assert pupil.first_name == "GFAPupil"


def test_a_write_inside_a_marked_view_sends_the_rest_of_its_request_to_the_primary(replica, school):
    pupil = school.students.get()
    seen = []

    def orm_write():
        Student.objects.filter(pk=pupil.pk).update(first_name="Adaeze")

    def raw_write():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {STUDENT_TABLE} SET first_name = %s WHERE id = %s", ["Bisi", pupil.pk])

    for write in (orm_write, raw_write):
        seen.clear()

        @reads_may_lag
        def view(request, write=write):
            seen.append(router.db_for_read(Student))
            write()
            seen.append(router.db_for_read(Student))
            return HttpResponse()

        serve(view, RequestFactory().get("/"))
        assert seen == [REPLICA, "default"], write.__name__


def test_writing_the_access_log_or_a_session_pins_nothing(replica, school, alice):
    # an export writes its audit entry before its rows: that must not send the rows to the primary
    seen = []

    @reads_may_lag
    def view(request):
        record_export(school=school, actor=alice, export="students", rows=1)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE django_session SET expire_date = expire_date WHERE session_key = ''")
        seen.append(router.db_for_read(Student))
        return HttpResponse()

    serve(view, RequestFactory().get("/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=abc"))
    assert seen == [REPLICA]
    assert cache.get(pin_key("abc", "")) is None


def test_a_csv_export_streams_its_rows_from_the_replica(replica, school, alice, verified_client):
    client = verified_client(alice)
    with watching(replica) as (on_replica, on_primary):
        response = client.get(STUDENTS + "?format=csv")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200 and "GFAPupil" in body
    assert STUDENT_TABLE in sql(on_replica)
    assert "classpoint_auditlog" in sql(on_primary) and STUDENT_TABLE not in sql(on_primary)
    assert router.db_for_read(Student) == "default"  # the marked state ended with the last chunk


# --- read-your-writes -------------------------------------------------------------------------------


def _edit(client, pupil, first_name):
    data = {
        "first_name": first_name,
        "other_names": "",
        "last_name": pupil.last_name,
        "date_of_birth": pupil.date_of_birth.isoformat() if pupil.date_of_birth else "",
        "gender": pupil.gender,
        "admission_number": pupil.admission_number,
    }
    return client.post(f"/s/greenfield/students/{pupil.pk}/edit/", data)


def test_a_post_then_its_redirected_list_read_the_primary_until_the_pin_expires(
    replica, school, alice, verified_client
):
    client = verified_client(alice)
    pupil = school.students.get()
    response = _edit(client, pupil, "Adaeze")
    assert response.status_code == 302
    with watching(replica) as (on_replica, _):
        page = client.get(response["Location"])
        listed = client.get(STUDENTS)
    assert page.status_code == 200 and "Adaeze" in listed.content.decode()
    assert on_replica.captured_queries == []

    cache.delete(pin_key(client.cookies[settings.SESSION_COOKIE_NAME].value, ""))  # the window has passed
    with watching(replica) as (on_replica, _):
        assert "Adaeze" in client.get(STUDENTS).content.decode()
    assert STUDENT_TABLE in sql(on_replica)


@on_postgres
def test_a_stale_replica_is_never_shown_to_the_user_who_just_wrote(replica, school, alice, verified_client):
    client = verified_client(alice)
    pupil = school.students.get()
    replica.ensure_connection()
    # The replica stops here: its connection keeps a snapshot from before the change below.
    replica.connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    replica.connection.execute(f"SELECT count(*) FROM {STUDENT_TABLE}")
    try:
        assert _edit(client, pupil, "Adaeze").status_code == 302
        assert "Adaeze" in client.get(STUDENTS).content.decode()  # pinned: the primary

        cache.delete(pin_key(client.cookies[settings.SESSION_COOKIE_NAME].value, ""))
        stale = client.get(STUDENTS).content.decode()
        assert "Adaeze" not in stale and "GFAPupil" in stale  # the replica's page, from before
    finally:
        replica.connection.execute("ROLLBACK")


def test_an_unsafe_request_pins_its_token_or_session_under_asgi_too(replica):
    request_started.send(sender=None, scope={"method": "POST", "headers": [(b"authorization", b"Token abc")]})
    request_finished.send(sender=None)
    assert cache.get(pin_key("", "Token abc")) is not None
    request_started.send(sender=None, scope={"method": "GET", "headers": [(b"cookie", b"sessionid=s1")]})
    request_finished.send(sender=None)
    assert cache.get(pin_key("s1", "")) is None


def test_an_api_token_that_wrote_reads_the_kpi_api_from_the_primary(replica, school):
    issued = api_token_create(school=school, name="BI export", role_key="school_admin")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    with watching(replica) as (on_replica, _):
        assert api.get(KPI).status_code == 200
    assert on_replica.captured_queries

    assert api.post(KPI, {}).status_code == 405  # any unsafe request pins its token
    with watching(replica) as (on_replica, _):
        assert api.get(KPI).status_code == 200
    assert on_replica.captured_queries == []
    # another client is not pinned by this token's write
    other = APIClient()
    other.credentials(
        HTTP_AUTHORIZATION=f"Token {api_token_create(school=school, name='b', role_key='school_admin').key}"
    )
    with watching(replica) as (on_replica, _):
        assert other.get(KPI).status_code == 200
    assert on_replica.captured_queries


# --- a replica that is stopped or behind ------------------------------------------------------------


@pytest.fixture
def lag_readings(monkeypatch):
    """The replica's reported lag, as a test sets it; counts how often it is read."""
    readings = {"lag": 0.0, "reads": 0}

    def read_lag():
        readings["reads"] += 1
        if isinstance(readings["lag"], Exception):
            raise readings["lag"]
        return readings["lag"]

    monkeypatch.setattr(replica_probe, "read_lag", read_lag)
    return readings


def test_an_unreachable_replica_falls_back_to_the_primary_and_is_left_alone_a_while(
    school, alice, verified_client, monkeypatch
):
    client = verified_client(alice)
    use_replica(unreachable_settings())
    with CaptureQueriesContext(connection) as on_primary:
        response = client.get(STUDENTS)
    assert response.status_code == 200 and "GFAPupil" in response.content.decode()
    assert STUDENT_TABLE in sql(on_primary)
    assert replica_probe._reading.error  # marked down...

    tries = []
    monkeypatch.setattr(replica_probe, "read_lag", lambda: tries.append(1) or 0.0)
    assert client.get(STUDENTS).status_code == 200
    assert tries == []  # ...and not tried again on the next request
    replica_probe._reading.down_until -= replica_probe.DOWN_SECONDS  # the down period passes
    replica_probe._reading.checked -= replica_probe.DOWN_SECONDS
    assert client.get(STUDENTS).status_code == 200
    assert tries == [1]


def test_a_replica_that_takes_connections_but_fails_queries_falls_back_without_an_error(
    replica, school, alice, verified_client, lag_readings, monkeypatch
):
    # PgBouncer in front of a stopped replica accepts the connection and fails the first query
    # ("server login has been failing"): connecting is no proof that the replica answers.
    client = verified_client(alice)
    replica.close()

    def failing_cursor(name=None):
        raise OperationalError("server login has been failing, try again later (server_login_retry)")

    monkeypatch.setattr(replica, "create_cursor", failing_cursor)
    with CaptureQueriesContext(connection) as on_primary:
        response = client.get(STUDENTS)
    assert response.status_code == 200 and "GFAPupil" in response.content.decode()
    assert STUDENT_TABLE in sql(on_primary)
    assert "server login has been failing" in replica_probe._reading.error


def test_a_replica_lost_in_the_middle_of_a_page_is_read_again_from_the_primary(
    replica, school, alice, verified_client, lag_readings, monkeypatch
):
    # The replica passed this request's check, then stopped before the page's query reached it.
    client = verified_client(alice)
    monkeypatch.setattr(replica_probe, "connect", lambda: True)
    make_cursor = replica.create_cursor

    class DyingCursor:
        def __init__(self, cursor):
            self.cursor = cursor

        def __getattr__(self, name):
            return getattr(self.cursor, name)

        def execute(self, *args, **kwargs):  # what the driver raises for a server that went away
            raise replica.Database.OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(replica, "create_cursor", lambda name=None: DyingCursor(make_cursor(name)))
    with CaptureQueriesContext(connection) as on_primary:
        response = client.get(STUDENTS)
    assert response.status_code == 200 and "GFAPupil" in response.content.decode()
    assert STUDENT_TABLE in sql(on_primary)
    assert "administrator command" in replica_probe._reading.error


def test_an_error_of_the_primary_in_a_marked_page_is_not_retried(replica, school, alice, verified_client, lag_readings):
    client = verified_client(alice)
    client.raise_request_exception = False

    def refusing(execute, sql, params, many, context):
        raise OperationalError("the primary is away")

    with connection.execute_wrapper(refusing), CaptureQueriesContext(replica):
        response = client.get(STUDENTS)
    assert response.status_code == 503
    assert not replica_probe._reading.error


@on_postgres
def test_a_replica_stopped_under_a_live_connection_falls_back_without_an_error(
    replica, school, alice, verified_client, lag_readings
):
    client = verified_client(alice)
    with watching(replica) as (on_replica, _):
        assert client.get(STUDENTS).status_code == 200
    assert on_replica.captured_queries
    pid = replica.connection.info.backend_pid
    with connection.cursor() as cursor:  # the replica goes away under the persistent connection...
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    replica.settings_dict["PORT"] = closed_port()  # ...and does not come back
    with watching(replica) as (on_replica, on_primary):
        response = client.get(STUDENTS)
    assert response.status_code == 200 and "GFAPupil" in response.content.decode()
    assert STUDENT_TABLE in sql(on_primary)


def test_a_replica_too_far_behind_is_not_read_and_the_lag_is_read_every_few_seconds(
    replica, school, alice, verified_client, lag_readings, settings
):
    client = verified_client(alice)
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_PIN_SECONDS = 30, 30
    lag_readings["lag"] = 31.0
    with watching(replica) as (on_replica, _):
        assert client.get(STUDENTS).status_code == 200
    assert on_replica.captured_queries == []

    lag_readings["lag"] = 0.4
    replica_probe.forget()
    for _ in range(3):
        with watching(replica) as (on_replica, _):
            assert client.get(STUDENTS).status_code == 200
        assert STUDENT_TABLE in sql(on_replica)
    assert lag_readings["reads"] == 2  # once per CHECK_SECONDS, not once per request

    # a replica behind by more than the read-your-writes pin is not read either
    settings.REPLICA_PIN_SECONDS = 5
    lag_readings["lag"] = 10.0
    replica_probe.forget()
    with watching(replica) as (on_replica, _):
        assert client.get(STUDENTS).status_code == 200
    assert on_replica.captured_queries == []


def test_the_lag_is_measured_on_the_replica_itself(replica):
    # On PostgreSQL this runs the real query: a server not in recovery (the test mirror) is 0 behind.
    with CaptureQueriesContext(replica) as on_replica:
        assert replica_probe.read_lag() == 0.0
    expected = "pg_last_wal_replay_lsn" if connection.vendor == "postgresql" else "SELECT 1"
    assert expected in sql(on_replica)


# --- health, metrics, the ops checklist -------------------------------------------------------------


def test_health_reports_the_replica_and_is_only_degraded_without_it(replica, client, lag_readings):
    lag_readings["lag"] = 0.25
    check = client.get("/api/health").json()["checks"]["database:replica"]
    assert check["status"] == "healthy" and check["lag_seconds"] == 0.25 and check["reads"] == "replica"

    lag_readings["lag"] = OSError("connection refused")
    response = client.get("/api/health")
    check = response.json()["checks"]["database:replica"]
    assert check["status"] == "degraded" and check["reads"] == "primary" and check["lag_seconds"] is None
    assert response.status_code == 200 and response.json()["status"] != "unhealthy"


def test_metrics_expose_the_replica_lag(replica, client, lag_readings):
    lag_readings["lag"] = 1.5
    body = client.get("/metrics").content.decode()
    assert "classpoint_replica_up 1.0" in body and "classpoint_replica_lag_seconds 1.5" in body
    lag_readings["lag"] = OSError("gone")
    body = client.get("/metrics").content.decode()
    assert "classpoint_replica_up 0.0" in body and "classpoint_replica_lag_seconds +Inf" in body


def test_the_ops_checklist_warns_about_a_replica_that_is_down_or_behind(replica, lag_readings, settings):
    context = Context(now=datetime.datetime.now(datetime.UTC))
    by_name = {r.name: r for r in check_databases(context)}
    assert by_name["database"].status == OK and by_name["database:replica"].status == OK
    assert "0.0 s behind" in by_name["database:replica"].detail
    lag_readings["lag"] = settings.REPLICA_MAX_LAG_SECONDS + 60
    assert {r.name: r for r in check_databases(context)}["database:replica"].status == WARN
    lag_readings["lag"] = OSError("gone")
    result = {r.name: r for r in check_databases(context)}["database:replica"]
    assert result.status == WARN and "unreachable" in result.detail and result.action
