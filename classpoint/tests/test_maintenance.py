"""Maintenance mode (classpoint/maintenance.py, `manage.py maintenance on|off|status`): writes answer
503 with Retry-After, reads and sign-in go on, providers' webhooks are still stored, a platform
superuser may still fix things in the admin, and every node sees the switch at its next request."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.errors import all_error_codes
from classpoint.maintenance import maintenance_off, maintenance_on
from classpoint.models import AuditLog, MaintenanceMode
from classpoint.outbox import worker
from payments.gateways import get_gateway
from payments.models import WebhookEvent
from schools.models import School, Student
from schools.services import api_token_create

pytestmark = pytest.mark.django_db

MESSAGE = "Database upgrade, back by 10:00."
SETTINGS = "/s/greenfield/settings/details/"
STUDENTS_API = "/api/v1/schools/greenfield/students/"


def run(*args):
    out = io.StringIO()
    call_command("maintenance", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def on(db):
    maintenance_on(by="ops@test", message=MESSAGE, retry_after=120)


@pytest.fixture
def staff(school, alice, verified_client):
    return verified_client(alice)


@pytest.fixture
def integrator(school, api):
    token = api_token_create(school=school, name="SIS sync", role_key="registrar")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


# --- The command --------------------------------------------------------------------------


def test_the_command_turns_it_on_and_off_prints_the_state_and_audits_each_change(school):
    assert run("status") == "maintenance: off (never turned on)\n"

    out = run("on", "--message", MESSAGE, "--retry-after", "600")
    assert out.startswith("maintenance turned ON\nmaintenance: ON since ")
    assert f"message:     {MESSAGE}\n" in out and "retry-after: 600 s\n" in out
    # on again without options changes nothing (the message stays); with one, changes that
    assert run("on").startswith("maintenance was already on (unchanged)")
    updated = run("on", "--retry-after", "60")
    assert (
        updated.startswith("maintenance was already on: message / retry-after updated")
        and "retry-after: 60 s" in updated
    )
    assert MaintenanceMode.objects.get().message == MESSAGE
    assert "maintenance: ON since" in run("status")

    assert run("off").startswith("maintenance turned OFF\nmaintenance: off since ")
    assert run("off").startswith("maintenance was already off")

    entries = AuditLog.objects.filter(action__startswith="maintenance.").order_by("id")
    assert [e.action for e in entries] == ["maintenance.started", "maintenance.updated", "maintenance.ended"]
    assert all(e.school_id is None for e in entries)
    assert entries[0].changes["message"] == MESSAGE and entries[0].changes["retry_after"] == 600
    assert "@" in entries[0].changes["by"]  # user@host of whoever ran it


@pytest.mark.parametrize(
    "args", [("on", "--retry-after", "0"), ("on", "--retry-after", "999999"), ("off", "--message", "x")]
)
def test_the_command_refuses_options_that_make_no_sense(args):
    with pytest.raises(CommandError):
        run(*args)
    assert not MaintenanceMode.objects.filter(enabled=True).exists()


# --- What people and integrators see ------------------------------------------------------


def test_staff_pages_still_read_and_show_the_banner_with_the_message(staff, on):
    response = staff.get("/s/greenfield/students/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Maintenance in progress." in body and MESSAGE in body


def test_without_maintenance_there_is_no_banner(staff):
    assert "Maintenance in progress." not in staff.get("/s/greenfield/students/").content.decode()


def test_a_staff_write_answers_503_with_retry_after_and_changes_nothing(school, staff, on):
    response = staff.post(SETTINGS, {"name": "Renamed During Maintenance"}, HTTP_REFERER="http://testserver/x/")
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    body = response.content.decode()
    assert "Classpoint is down for maintenance" in body and MESSAGE in body
    assert "Please try again in about 2 minutes." in body and 'href="http://testserver/x/"' in body
    assert School.objects.get(pk=school.pk).name == "Greenfield Academy"


def test_a_refusal_is_not_logged_as_a_server_error(staff, on, caplog):
    with caplog.at_level("INFO"):
        assert staff.post(SETTINGS, {"name": "X"}).status_code == 503
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert "maintenance: refused POST /s/greenfield/settings/details/" in caplog.text


def test_an_htmx_write_reloads_the_page_so_the_banner_explains(staff, on):
    response = staff.post(SETTINGS, {"name": "X"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and response["HX-Refresh"] == "true"


def test_an_api_write_answers_503_in_the_api_error_shape_and_reads_go_on(school, integrator, on):
    before = Student.objects.count()
    response = integrator.post(STUDENTS_API, {"admission_number": "GFA/0100", "first_name": "T", "last_name": "B"})
    assert response.status_code == 503 and response["Retry-After"] == "120"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "maintenance" and error["fields"] == {}
    assert "maintenance" in error["message"] and MESSAGE in error["message"]
    assert Student.objects.count() == before
    assert integrator.get(STUDENTS_API).status_code == 200


def test_the_error_code_is_one_the_schema_lists():
    assert "maintenance" in all_error_codes()


def test_turning_it_off_lets_writes_through_at_the_very_next_request(school, staff):
    maintenance_on(by="ops@test")
    assert staff.post(SETTINGS, {"name": "First"}).status_code == 503
    maintenance_off(by="ops@test")
    assert staff.post(SETTINGS, {"name": "Second"}).status_code == 302
    assert School.objects.get(pk=school.pk).name == "Second"


def test_a_guardians_public_write_gets_the_page_too(school, client, on):
    response = client.post("/s/greenfield/apply/", {"first_name": "Ada"})
    assert response.status_code == 503 and response["Retry-After"] == "120"
    assert "Classpoint is down for maintenance" in response.content.decode()


# --- What goes on -------------------------------------------------------------------------


def test_sign_in_the_second_factor_and_sign_out_go_on(client, alice, on):
    signed_in = client.post("/account/login/", {"username": alice.get_username(), "password": "correct-horse-battery"})
    assert signed_in.status_code == 302
    # a wrong code is the form's answer, not maintenance's
    assert client.post("/account/two-factor/", {"token": "000000"}).status_code == 200
    assert client.post("/account/logout/").status_code == 302


def test_a_payment_webhook_is_still_received_and_stored(client, school, on):
    payload = {"event": "charge.success", "data": {"id": "9", "reference": "CP-NONE", "amount": 100, "currency": "NGN"}}
    raw = json.dumps(payload).encode()
    gateway = get_gateway("demo")
    headers = {f"HTTP_{gateway.signature_header.upper().replace('-', '_')}": gateway.sign(raw)}
    response = client.post("/payments/webhook/demo/", raw, content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["received"] is True
    assert WebhookEvent.objects.count() == 1


def test_a_messaging_provider_callback_still_reaches_its_view(client, on):
    # unsigned, so the view itself refuses it: it ran, maintenance did not answer
    response = client.post("/messaging/callbacks/twilio/status/", {"MessageSid": "SM1", "MessageStatus": "delivered"})
    assert response.status_code == 403 and "Retry-After" not in response


def test_a_platform_superuser_may_still_write_in_the_admin_and_other_staff_may_not(
    django_user_model, verified_client, on
):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x" * 12)
    added = verified_client(root).post("/admin/classpoint/featureflag/add/", {"key": "fixing", "description": "d"})
    assert added.status_code == 302, added.content.decode()[:500]

    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    refused = verified_client(clerk).post("/admin/classpoint/featureflag/add/", {"key": "other"})
    assert refused.status_code == 503


# --- What operators watch -----------------------------------------------------------------


def test_health_says_maintenance_is_on_and_the_node_stays_up(client, school):
    worker.drain()
    assert client.get("/api/health").json()["maintenance"] == {"enabled": False}
    maintenance_on(by="ops@test", message=MESSAGE, retry_after=120)
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["maintenance"]["enabled"] is True and body["maintenance"]["retry_after"] == 120
    assert body["maintenance"]["message"] == MESSAGE and "ops@test" not in response.content.decode()


def test_metrics_expose_the_switch(client, db):
    assert "classpoint_maintenance_mode 0.0" in client.get("/metrics").content.decode()
    maintenance_on(by="ops@test")
    assert "classpoint_maintenance_mode 1.0" in client.get("/metrics").content.decode()


def test_the_switch_is_read_once_for_a_page_and_not_at_all_for_an_api_read(staff, integrator):
    def reads(client, path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len([q for q in captured.captured_queries if MaintenanceMode._meta.db_table in q["sql"]])

    assert reads(staff, "/s/greenfield/students/") == 1
    assert reads(integrator, STUDENTS_API) == 0
