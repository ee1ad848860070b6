"""What the SIS sync shows: the sync-status API, the health entry, the metric, the command's output,
and the nightly schedule at each school's 01:00."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import Resolver404, include, path, resolve

from academics.models import SisConnection, SyncRun
from academics.sis import schedule, sync
from academics.tests.sis_fakes import FakeAeries
from academics.tests.test_sis_sync import _quick_retries, aeries, connect, run  # noqa: F401
from classpoint import schema_testing
from classpoint.schedules import all_schedules
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/schools/{}/sis/sync-status/"

# Until the root URLconf mounts academics.sis_api_urls, the API tests mount it here.
urlpatterns = [
    path("api/v1/schools/<slug:school_slug>/", include("academics.sis_api_urls")),
    path("", include("classpoint.urls")),
]


@pytest.fixture
def mounted(settings):
    try:
        resolve(STATUS.format("x"))
        yield
        return
    except Resolver404:
        pass
    settings.ROOT_URLCONF = __name__
    schema_testing._schema.cache_clear()
    schema_testing._openapi.cache_clear()
    yield
    schema_testing._schema.cache_clear()
    schema_testing._openapi.cache_clear()


def test_sync_status_shows_the_last_run_its_counts_the_next_run_and_expiry(school, aeries, alice, api, mounted):
    SisConnection.objects.filter(school=school).update(
        certificate_expires_at=datetime.datetime(2027, 6, 30, tzinfo=datetime.UTC)
    )
    aeries.contacts[0]["CellPhone"] = "12"
    aeries.contacts[0]["EmailAddress"] = ""
    done = run(school)
    run(school, dry_run=True)
    api.force_authenticate(alice)
    body = api.get(STATUS.format(school.slug)).json()
    assert body["configured"] and body["adapter"] == "aeries" and body["attendance_direction"] == "none"
    assert body["certificate_expires_at"].startswith("2027-06-30") and body["token_expires_at"] is None
    last = body["last_run"]
    assert last["id"] == done.pk and last["status"] == "succeeded" and last["duration_ms"] >= 0
    assert last["counts"]["student"]["created"] == 30 and last["counts"]["guardian"]["failed"] == 1
    assert last["error_count"] == 1 and last["errors"][0]["external_id"] == "99400000:1"
    assert body["last_dry_run"]["status"] == "dry_run"
    next_run = datetime.datetime.fromisoformat(body["next_run_at"]).astimezone(school.tzinfo)
    assert next_run.hour == 1 and next_run > school.local_now()
    assert FakeAeries.CERT not in str(body)


def test_sync_status_without_a_connection(school, alice, api, mounted):
    api.force_authenticate(alice)
    body = api.get(STATUS.format(school.slug)).json()
    assert body["configured"] is False and body["last_run"] is None and body["next_run_at"] is None


def test_sync_status_needs_school_manage_and_another_schools_admin_gets_404(school, teacher, charlie, api, mounted):
    api.force_authenticate(teacher)
    assert api.get(STATUS.format(school.slug)).status_code == 403
    api.force_authenticate(charlie)
    assert api.get(STATUS.format(school.slug)).status_code == 404


def test_health_sis_entry_not_configured_reachable_failing(client, school, aeries):
    SisConnection.objects.filter(school=school).update(enabled=False)
    entry = client.get("/api/health").json()["checks"]["sis"]
    assert entry["state"] == "not_configured" and entry["status"] == "healthy"
    SisConnection.objects.filter(school=school).update(enabled=True)
    run(school)
    entry = client.get("/api/health").json()["checks"]["sis"]
    assert (entry["state"], entry["status"], entry["connections"]) == ("reachable", "healthy", 1)
    aeries.fail("/students", times=10, status=500)
    run(school)
    body = client.get("/api/health").json()
    assert (body["checks"]["sis"]["state"], body["checks"]["sis"]["status"]) == ("failing", "degraded")
    assert body["checks"]["sis"]["failing"] == 1 and "greenfield" not in str(body).lower()


def test_metric_counts_runs_by_adapter_and_result(client, school, aeries):
    run(school)
    run(school, dry_run=True)
    aeries.fail("/systeminfo", times=10, status=503)
    run(school)
    text = client.get("/metrics").content.decode()
    for result in ("succeeded", "dry_run", "failed"):
        assert f'classpoint_sis_sync_operations_total{{adapter="aeries",result="{result}"}} 1.0' in text


def test_command_prints_the_counts(school, aeries):
    out = io.StringIO()
    call_command("sis_sync", "--school", school.slug, stdout=out)
    text = out.getvalue()
    assert "greenfield: aeries sync succeeded" in text
    assert "student: 30 created, 0 updated, 0 unchanged, 0 failed" in text
    assert "class_group: 2 created" in text
    out = io.StringIO()
    call_command("sis_sync", "--school", school.slug, "--dry-run", "--since", "2026-12-01", stdout=out)
    assert (
        "dry run: nothing written" in out.getvalue() and "student: 0 created, 0 updated, 30 unchanged" in out.getvalue()
    )
    assert SyncRun.objects.filter(school=school, dry_run=True, since=datetime.date(2026, 12, 1)).exists()


def test_command_refuses_bad_input_and_reports_a_failed_run(school, other_school, aeries):
    with pytest.raises(CommandError, match="No school"):
        call_command("sis_sync", "--school", "nowhere")
    with pytest.raises(CommandError, match="--since"):
        call_command("sis_sync", "--school", school.slug, "--since", "yesterday")
    with pytest.raises(CommandError, match="no SIS connection"):
        call_command("sis_sync", "--school", other_school.slug)
    aeries.fail("/contacts", times=10)
    with pytest.raises(CommandError, match="The sync failed: The SIS answered 503"):
        call_command("sis_sync", "--school", school.slug, stdout=io.StringIO())


def _at(school, day, hour, minute=10):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=school.tzinfo)


def test_schedule_runs_each_connection_once_at_its_schools_1am(school, other_school, aeries, monkeypatch):
    real, clock = sync.sis_sync, {}

    def stamped(**kwargs):  # the run starts at the schedule's clock, not the machine's
        result = real(**kwargs)
        SyncRun.objects.filter(pk=result.pk).update(started_at=clock["now"])
        return result

    monkeypatch.setattr(sync, "sis_sync", stamped)
    day = school.local_today()

    def tick(hour, minute=10):
        clock["now"] = _at(school, day, hour, minute)
        return schedule.sis_sync_due(now=clock["now"])

    assert tick(0, 50) == {"synced": [], "failed": []}
    assert tick(1) == {"synced": ["greenfield"], "failed": []}
    assert tick(2) == {"synced": [], "failed": []}  # done for the night
    assert SyncRun.objects.filter(school=school).count() == 1
    SyncRun.objects.all().delete()
    aeries.fail("/systeminfo", times=100)
    assert [tick(h)["failed"] for h in (1, 2, 3, 4)] == [["greenfield"], ["greenfield"], ["greenfield"], []]
    assert schedule.next_run_at(SisConnection.objects.get(school=school), _at(school, day, 1, 0)) == _at(
        school, day + datetime.timedelta(days=1), 1, 0
    )


def test_disabled_connection_is_not_scheduled(school, aeries):
    SisConnection.objects.filter(school=school).update(enabled=False)
    assert schedule.sis_sync_due(now=_at(school, school.local_today(), 1)) == {"synced": [], "failed": []}
    assert schedule.next_run_at(SisConnection.objects.get(school=school)) is None


def test_a_member_of_no_school_sees_nothing(api, mounted, school, aeries):
    api.force_authenticate(f.UserFactory())
    assert api.get(STATUS.format(school.slug)).status_code == 404


def test_the_nightly_job_is_registered_hourly():
    assert ("sis-sync", "academics.sis.schedule.sis_sync_due", 60) in all_schedules()
