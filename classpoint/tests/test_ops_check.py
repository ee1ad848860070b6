import datetime
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import Failure, Schedule

from academics.models import SisConnection, SyncRun
from classpoint.models import OutboxEvent, WorkerHeartbeat
from classpoint.ops_checks import FAIL, OK, WARN, all_checks, exit_code, ok, run_checks, warn
from classpoint.outbox import emit
from registrar.models import RegistrationKpiDaily, RevenueDaily
from registrar.ops_checks import due_day

pytestmark = pytest.mark.django_db


def ops_check(*args):
    out = io.StringIO()
    try:
        call_command("ops_check", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def by_name(results, name, school=""):
    return next(r for r in results if r.name == name and r.school == school)


def write_kpis(school, day=None):
    day = day or due_day(school, timezone.now())
    RegistrationKpiDaily.objects.create(school=school, day=day)
    RevenueDaily.objects.create(school=school, day=day, currency=school.currency)


@pytest.fixture
def healthy(school, other_school, settings):
    """Everything the checklist looks at in order: a worker beating, schedules on time, no failed
    tasks, both schools' KPIs written, no Alertmanager configured."""
    settings.ALERTMANAGER_URL = ""
    WorkerHeartbeat.objects.create(name="host:1", last_seen=timezone.now())
    Schedule.objects.update(next_run=timezone.now() + datetime.timedelta(minutes=1))
    Failure.objects.all().delete()
    OutboxEvent.objects.all().delete()  # provisioning's own events, drained by nobody here
    for s in (school, other_school):
        write_kpis(s)


def test_a_healthy_platform_exits_0_with_every_check_ok(healthy):
    code, out = ops_check()
    assert code == 0, out
    assert "What to do" not in out
    for name in ("database", "cache", "outbox lag", "outbox dead events", "workers", "kpi aggregates", "sis sync"):
        assert name in out


def test_a_dead_event_exits_2_and_says_how_to_retry_it(healthy, school):
    event = emit(school=school, event_type="nothing.handles.this")
    OutboxEvent.objects.filter(pk=event.pk).update(dead_at=timezone.now(), attempts=8)

    code, out = ops_check()

    assert code == 2
    assert "FAIL" in out and "1 events dead-lettered" in out
    todo = out.split("What to do:")[1]
    assert "outbox dead events" in todo and "outbox_retry_dead" in todo


def test_an_event_waiting_two_minutes_warns_and_exits_1(healthy, school):
    event = emit(school=school, event_type="nothing.handles.this")
    OutboxEvent.objects.filter(pk=event.pk).update(available_at=timezone.now() - datetime.timedelta(minutes=2))

    code, out = ops_check()

    assert code == 1, out
    assert by_name(run_checks(), "outbox lag").status == WARN


def test_an_event_waiting_fifteen_minutes_fails(healthy, school):
    event = emit(school=school, event_type="nothing.handles.this")
    OutboxEvent.objects.filter(pk=event.pk).update(available_at=timezone.now() - datetime.timedelta(minutes=15))

    assert by_name(run_checks(), "outbox lag").status == FAIL


def test_no_worker_beating_fails_and_names_the_last_one_seen(healthy):
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - datetime.timedelta(hours=3))

    result = by_name(run_checks(), "workers")

    assert result.status == FAIL
    assert "host:1" in result.detail and "3 h" in result.detail
    assert "qcluster" in result.action


def test_an_overdue_schedule_warns_that_no_scheduler_runs(healthy):
    Schedule.objects.create(
        name="stalled",
        func="math.floor",
        schedule_type=Schedule.MINUTES,
        minutes=1,
        repeats=-1,
        next_run=timezone.now() - datetime.timedelta(hours=1),
    )

    result = by_name(run_checks(), "scheduler")

    assert result.status == WARN and "stalled" in result.detail


def test_json_lists_every_check_with_status_detail_and_action(healthy, school):
    event = emit(school=school, event_type="nothing.handles.this")
    OutboxEvent.objects.filter(pk=event.pk).update(dead_at=timezone.now())

    code, out = ops_check("--json")

    body = json.loads(out)
    assert code == 2 and body["status"] == "fail"
    dead = next(c for c in body["checks"] if c["name"] == "outbox dead events")
    assert dead["status"] == "fail" and "outbox_retry_dead" in dead["action"]
    assert all(set(c) == {"name", "status", "detail", "action", "school"} for c in body["checks"])


def test_apps_contribute_their_checks_without_the_kernel_naming_them():
    modules = {check.__module__ for check in all_checks()}
    assert {"classpoint.ops_checks", "academics.ops_checks", "registrar.ops_checks"} <= modules


def test_a_school_without_yesterdays_kpis_warns_for_that_school_only(healthy, school, other_school):
    RegistrationKpiDaily.objects.filter(school=other_school).delete()

    results = run_checks()

    missing = by_name(results, "kpi aggregates", school="riverside")
    assert missing.status == WARN
    assert f"kpi_daily_aggregate --school riverside --date {due_day(other_school, timezone.now())}" in missing.action
    assert not [r for r in results if r.school == "greenfield"]
    assert by_name(run_checks(school="greenfield"), "kpi aggregates").status == OK


def test_yesterdays_kpis_are_not_expected_before_the_aggregation_hour(school, settings):
    settings.KPI_AGGREGATE_LOCAL_HOUR = 2
    lagos_1am = datetime.datetime(2026, 11, 20, 0, 0, tzinfo=datetime.UTC)  # 01:00 in Lagos
    lagos_4am = datetime.datetime(2026, 11, 20, 3, 0, tzinfo=datetime.UTC)

    assert due_day(school, lagos_1am) == datetime.date(2026, 11, 18)
    assert due_day(school, lagos_4am) == datetime.date(2026, 11, 19)


def test_a_failed_sis_sync_fails_for_its_school_and_not_for_others(healthy, school, other_school):
    for s in (school, other_school):
        connection = SisConnection.objects.create(
            school=s,
            adapter="aeries",
            base_url="https://sis.example",
            credentials_ref=f"{s.slug}-aeries",
            school_code="1",
        )
        status = SyncRun.Status.FAILED if s == school else SyncRun.Status.SUCCEEDED
        run = SyncRun.objects.create(school=s, adapter="aeries", status=status, message="401 Unauthorized")
        SisConnection.objects.filter(pk=connection.pk).update(last_run=run)

    code, out = ops_check()

    assert code == 2
    assert by_name(run_checks(), "sis sync", school="greenfield").status == FAIL
    assert by_name(run_checks(), "sis sync", school="riverside").status == OK
    assert "401 Unauthorized" in out and "sis_sync --school greenfield" in out
    code, out = ops_check("--school", "riverside")
    assert code == 0, out
    assert "greenfield" not in out


def test_a_sis_sync_with_record_errors_warns(healthy, school):
    connection = SisConnection.objects.create(
        school=school, adapter="aeries", base_url="https://sis.example", credentials_ref="gf-aeries", school_code="1"
    )
    run = SyncRun.objects.create(school=school, adapter="aeries", status=SyncRun.Status.SUCCEEDED, error_count=3)
    SisConnection.objects.filter(pk=connection.pk).update(last_run=run)

    result = by_name(run_checks(), "sis sync", school="greenfield")

    assert result.status == WARN and "3 record errors" in result.detail


def test_an_unknown_school_is_an_error(db):
    with pytest.raises(CommandError, match="nowhere"):
        call_command("ops_check", "--school", "nowhere", stdout=io.StringIO())


def test_a_check_that_raises_is_a_failure_not_a_crash():
    def check_exploding(context):
        raise RuntimeError("boom")

    results = run_checks(checks=[lambda context: ok("fine", "yes"), check_exploding])

    assert [r.status for r in results] == [OK, FAIL]
    assert "boom" in results[1].detail and results[1].name == "exploding"
    assert exit_code(results) == 2


def test_exit_code_is_the_worst_status():
    assert exit_code([ok("a", "")]) == 0
    assert (
        exit_code(run_checks(checks=[lambda c: ok("a", ""), lambda c: [ok("b", ""), warn("c", "late", "wait")]])) == 1
    )


class _Alertmanager(BaseHTTPRequestHandler):
    alerts = []

    def do_GET(self):  # noqa: N802 - http.server's name
        assert self.path == "/api/v2/alerts?active=true"
        body = json.dumps(self.alerts).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def alertmanager(settings):
    server = HTTPServer(("127.0.0.1", 0), _Alertmanager)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ALERTMANAGER_URL = f"http://127.0.0.1:{server.server_port}/"
    yield _Alertmanager
    server.shutdown()
    server.server_close()


def _alert(name, severity, state="active"):
    return {"labels": {"alertname": name, "severity": severity}, "status": {"state": state}}


def alerts_result():
    return by_name(run_checks(checks=[c for c in all_checks() if c.__name__ == "check_alerts"]), "alerts")


def test_firing_alerts_warn_and_a_critical_one_fails(alertmanager):
    alertmanager.alerts = [_alert("OutboxLag", "warning"), _alert("Silenced", "critical", state="suppressed")]
    result = alerts_result()
    assert result.status == WARN and "OutboxLag" in result.detail and "Silenced" not in result.detail

    alertmanager.alerts = [_alert("DatabaseDown", "critical")]
    assert alerts_result().status == FAIL

    alertmanager.alerts = []
    assert alerts_result().status == OK


def test_an_unreachable_alertmanager_warns(settings):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ALERTMANAGER_URL = f"http://127.0.0.1:{port}"

    result = alerts_result()

    assert result.status == WARN and "unreachable" in result.detail
