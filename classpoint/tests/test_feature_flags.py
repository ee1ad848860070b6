"""Feature flags that do something: each module a school may not use is switched per school, and a
switched-off module is gone (nav link, pages, API, public links: 404 as if it never existed) until
it is switched on again; a switched-off channel is never sent by."""

import datetime
import zoneinfo

import pytest

from academics.results.notices import link_token
from classpoint import balances
from classpoint.flags import SchoolFeatures, catalogue, feature_for_url, feature_on, school_states, url_on
from classpoint.messages import request_message
from classpoint.models import FeatureFlag, OutboxEvent
from classpoint.outbox import worker
from messaging import pipeline
from messaging.models import Message
from messaging.preferences import preferences_link
from messaging.tasks import send_message
from payments.notices import request_overdue_notice
from payments.proofs import guardian_link
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)
from schools.services.settings import school_messaging_update, school_modules_update

pytestmark = pytest.mark.django_db

LAGOS = zoneinfo.ZoneInfo("Africa/Lagos")
MODULES = {"online_payments", "attendance", "results", "public_applications"}


def switch(school, key, on):
    FeatureFlag.objects.update_or_create(key=key, school=school, defaults={"enabled": on})


@pytest.fixture
def admin(school, alice, verified_client):
    return verified_client(alice)


@pytest.fixture
def daytime(monkeypatch):
    """Outside quiet hours whatever time the suite runs (the pipeline's and the send task's clock)."""
    monkeypatch.setattr(pipeline, "_now", lambda: datetime.datetime(2026, 3, 3, 12, 0, tzinfo=LAGOS))


# --- The catalogue and the switches ----------------------------------------------------------


def test_the_apps_declare_the_modules_and_channels_a_school_may_switch():
    assert MODULES | {"sms", "whatsapp", "email"} == set(catalogue())
    assert feature_for_url("attendance-register").key == "attendance"
    assert feature_for_url("api-interventions").key == "attendance"
    assert feature_for_url("result-link").key == "results"
    assert feature_for_url("guardian-invoice").key == "online_payments"
    assert feature_for_url("application-form").key == "public_applications"
    assert feature_for_url("students-list") is None and feature_for_url("payments-webhook") is None


def test_a_list_of_links_leaves_out_those_of_a_switched_off_module(school):
    switch(school, "results", False)
    states = SchoolFeatures(school)
    assert url_on(states, "results-card") is False and url_on(states, "attendance-student") is True
    assert url_on(states, "student-detail") is True  # a URL no module claims is always there


def test_a_school_without_rows_keeps_every_module_and_its_own_row_beats_the_global_one(school, other_school):
    assert all(school_states(school).values())
    FeatureFlag.objects.create(key="whatsapp", enabled=False)  # the platform switches it off everywhere
    switch(school, "whatsapp", True)  # Greenfield has it on all the same
    assert feature_on(school, "whatsapp") is True and feature_on(other_school, "whatsapp") is False


# --- Modules: nav, pages, API, public links --------------------------------------------------


def test_attendance_off_removes_the_nav_link_pages_and_api_and_on_brings_them_back(
    school, other_school, admin, api, alice, charlie
):
    api.force_authenticate(alice)
    assert ">Attendance</a>" in admin.get("/s/greenfield/students/").content.decode()
    # when the school switches attendance off
    school_modules_update(school=school, actor=alice, modules=MODULES - {"attendance"})
    # then the link, the pages and the API are gone, as for a page that never existed
    assert ">Attendance</a>" not in admin.get("/s/greenfield/students/").content.decode()
    for url in (
        "/s/greenfield/attendance/",
        "/s/greenfield/attendance/day/",
        "/s/greenfield/attendance/interventions/",
    ):
        assert admin.get(url).status_code == 404, url
    assert admin.post("/s/greenfield/attendance/interventions/scan/").status_code == 404
    refused = api.get("/api/v1/schools/greenfield/attendance/registers/")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/schools/greenfield/attendance/interventions/").status_code == 404
    assert api.get("/api/v1/schools/greenfield/recovery-sessions/").status_code == 404
    # and another school's attendance is untouched
    api.force_authenticate(charlie)
    assert api.get("/api/v1/schools/riverside/attendance/registers/").status_code == 200
    # when it is switched on again, everything is back
    school_modules_update(school=school, actor=alice, modules=MODULES)
    api.force_authenticate(alice)
    assert admin.get("/s/greenfield/attendance/").status_code == 200
    assert api.get("/api/v1/schools/greenfield/attendance/registers/").status_code == 200
    assert ">Attendance</a>" in admin.get("/s/greenfield/students/").content.decode()


def test_results_off_removes_the_nav_link_pages_api_and_the_familys_results_link(school, admin, api, alice, client):
    api.force_authenticate(alice)
    student, guardian = school.students.get(), school.guardians.get()
    link = f"/results/{link_token(school_id=school.pk, student_id=student.pk, guardian_id=guardian.pk)}/"
    assert client.get(link).status_code == 200
    switch(school, "results", False)
    assert ">Results</a>" not in admin.get("/s/greenfield/students/").content.decode()
    assert admin.get("/s/greenfield/results/").status_code == 404
    assert admin.get("/s/greenfield/results/setup/").status_code == 404
    assert api.get("/api/v1/schools/greenfield/results/grids/").status_code == 404
    assert client.get(link).status_code == 404
    switch(school, "results", True)
    assert admin.get("/s/greenfield/results/").status_code == 200
    assert client.get(link).status_code == 200


def test_public_applications_off_makes_the_form_404_on_the_path_and_the_schools_own_host(school, other_school, client):
    assert client.get("/s/greenfield/apply/").status_code == 200
    switch(school, "public_applications", False)
    assert client.get("/s/greenfield/apply/").status_code == 404
    assert client.post("/s/greenfield/apply/", {"first_name": "Ada"}).status_code == 404
    assert client.get("/apply/", HTTP_HOST="greenfield.classpoint.ng").status_code == 404
    assert client.get("/s/riverside/apply/").status_code == 200
    switch(school, "public_applications", True)
    assert client.get("/apply/", HTTP_HOST="greenfield.classpoint.ng").status_code == 200


def test_online_payments_off_removes_the_pay_pages_the_pay_link_api_and_the_link_in_messages(
    school,
    bursar,
    invoice,
    client,
    api,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    guardian = school.guardians.get()
    page = guardian_link(invoice=invoice, guardian=guardian).split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{page}").status_code == 200
    switch(school, "online_payments", False)
    assert client.get(f"/{page}").status_code == 404
    api.force_authenticate(bursar)
    assert api.post(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/pay-link/", {}).status_code == 404
    # Counter payments are not online payments: they stay.
    assert api.get("/api/v1/schools/greenfield/transactions/").status_code == 200
    assert balances.pay_link(school=school, student_id=invoice.student_id, guardian_id=guardian.pk) == ""
    switch(school, "online_payments", True)
    assert client.get(f"/{page}").status_code == 200
    assert "/payments/pay/" in balances.pay_link(school=school, student_id=invoice.student_id, guardian_id=guardian.pk)


def test_a_notice_asked_for_while_online_payments_are_off_carries_no_pay_link(school, invoice):  # noqa: F811
    def pay_link_asked(event_id):
        request_overdue_notice(school=school, invoice_id=invoice.pk, event_id=event_id)
        event = OutboxEvent.objects.filter(school=school, event_type="messaging.requested").latest("id")
        return event.payload["context"]["pay_link"]

    assert "/payments/pay/" in pay_link_asked("on")
    switch(school, "online_payments", False)
    assert pay_link_asked("off") == ""


# --- Channels --------------------------------------------------------------------------------


@pytest.fixture
def guardian(school):
    g = school.guardians.get()
    g.consent_sms = g.consent_whatsapp = g.consent_email = True
    g.preferred_channel = "whatsapp"
    g.save()
    return g


def ask(school, capture, key="k1", send=True):
    """Request a message for the pupil's guardian; run the pipeline and (`send`) the send task."""
    with capture(execute=send):
        event = request_message(
            school=school,
            dedupe_key=key,
            guardian_ids=[],
            student_id=school.students.get().pk,
            template="PAYMENT_RECEIPT",
            context={"student_name": "Ada", "amount": "₦1.00", "receipt_number": "R-1", "balance": "₦0.00"},
        )
        worker.drain()
    return Message.objects.for_school(school).get(request_event_id=event.pk)


def test_a_channel_switched_off_is_not_sent_by_the_message_falls_back(
    school, guardian, alice, daytime, django_capture_on_commit_callbacks
):
    school_messaging_update(
        school=school,
        actor=alice,
        quiet_hours_start=datetime.time(21),
        quiet_hours_end=datetime.time(7),
        channels={"sms", "email"},
    )
    message = ask(school, django_capture_on_commit_callbacks)
    assert message.channel == "sms" and message.status == "delivered"


def test_with_every_channel_the_guardian_can_receive_switched_off_the_message_is_suppressed_saying_why(
    school, guardian, daytime, django_capture_on_commit_callbacks
):
    guardian.consent_email = False
    guardian.save()
    for channel in ("sms", "whatsapp"):
        switch(school, channel, False)
    message = ask(school, django_capture_on_commit_callbacks)
    assert message.status == "suppressed"
    assert "the school does not send by WhatsApp" in message.status_reason
    assert "the school does not send by SMS" in message.status_reason


def test_a_message_queued_before_its_channel_was_switched_off_is_not_sent(
    school, guardian, daytime, django_capture_on_commit_callbacks
):
    # planned and queued, the send task not yet run
    message = ask(school, django_capture_on_commit_callbacks, send=False)
    assert message.channel == "whatsapp" and message.status == "queued"
    switch(school, "whatsapp", False)
    assert send_message(message.pk) == "suppressed"
    message.refresh_from_db()
    assert "stopped sending by WhatsApp" in message.status_reason and message.provider == ""


def test_the_channel_comes_back_when_switched_on(school, guardian, daytime, django_capture_on_commit_callbacks):
    switch(school, "whatsapp", False)
    assert ask(school, django_capture_on_commit_callbacks, key="off").channel == "sms"
    switch(school, "whatsapp", True)
    assert ask(school, django_capture_on_commit_callbacks, key="on").channel == "whatsapp"


def test_a_request_for_another_school_is_not_affected(
    school, other_school, guardian, daytime, django_capture_on_commit_callbacks
):
    switch(school, "whatsapp", False)
    g = other_school.guardians.get()
    g.consent_whatsapp, g.preferred_channel = True, "whatsapp"
    g.save()
    message = ask(other_school, django_capture_on_commit_callbacks)
    assert message.channel == "whatsapp"


def test_a_switched_off_module_leaves_no_link_to_its_pages_on_other_apps_pages(school, admin, invoice):  # noqa: F811
    student_page = f"/s/greenfield/students/{invoice.student_id}/"
    invoice_page = f"/s/greenfield/fees/invoices/{invoice.pk}/"
    attendance_tab = f"/s/greenfield/students/{invoice.student_id}/attendance/"
    pay_link_url = f"/s/greenfield/payments/invoices/{invoice.pk}/pay-link/"
    assert attendance_tab in admin.get(student_page).content.decode()
    assert pay_link_url in admin.get(invoice_page).content.decode()
    switch(school, "attendance", False)
    switch(school, "online_payments", False)
    # the pupil's record has no Attendance tab or link, the invoice no pay-link button
    page = admin.get(student_page).content.decode()
    assert attendance_tab not in page and "/attendance/students/" not in page
    assert admin.get(attendance_tab).status_code == 404
    assert pay_link_url not in admin.get(invoice_page).content.decode()
    assert admin.get("/s/greenfield/").status_code == 200


def test_a_channel_switched_off_is_not_offered_on_the_apply_form_or_the_preferences_page(school, guardian, client):
    link = preferences_link(school=school, guardian=guardian).split("://", 1)[1].split("/", 1)[1]
    assert 'name="g1_consent_whatsapp"' in client.get("/s/greenfield/apply/").content.decode()
    assert 'value="whatsapp"' in client.get(f"/{link}").content.decode()
    switch(school, "whatsapp", False)
    form = client.get("/s/greenfield/apply/").content.decode()
    assert 'name="g1_consent_whatsapp"' not in form and 'name="g1_consent_sms"' in form
    page = client.get(f"/{link}").content.decode()
    assert 'value="whatsapp"' not in page and 'value="sms"' in page
    # saving the page leaves the switched-off channel's consent as it was
    client.post(f"/{link}", {"channels": ["sms", "email"]})
    guardian.refresh_from_db()
    assert (guardian.consent_sms, guardian.consent_whatsapp, guardian.consent_email) == (True, True, True)
