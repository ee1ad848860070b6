"""Consent recorded by staff, the message log (filters, detail, retry) and a guardian's messages on the
student page; another school's messages are invisible."""

import datetime
import sys
import types
import zoneinfo

import pytest

from classpoint.models import AuditLog
from messaging.consent import consent_set
from messaging.errors import MessagingError
from messaging.models import ConsentChange, Message, MessageStatusChange
from messaging.status import advance
from schools.models import Guardian

pytestmark = pytest.mark.django_db
LAGOS = zoneinfo.ZoneInfo("Africa/Lagos")


def make_message(
    school,
    *,
    status=Message.Status.QUEUED,
    channel="sms",
    template_type="PAYMENT_RECEIPT",
    guardian=None,
    created_at=None,
    key=None,
    body="Thank you for your payment.",
):
    guardian = guardian or Guardian.objects.for_school(school).first()
    message = Message.objects.create(
        school=school,
        guardian=guardian,
        student=guardian.student_links.first().student,
        channel=channel,
        template_type=template_type,
        to_address=guardian.phone if channel != "email" else guardian.email,
        body=body,
        idempotency_key=key or f"k{Message.objects.count()}",
        status=status,
        created_at=created_at or datetime.datetime.now(tz=datetime.UTC),
    )
    return message


@pytest.fixture
def enqueued(monkeypatch):
    """Stands in for messaging.pipeline.enqueue (the pipeline engineer's function), recording calls."""
    calls = []
    try:
        from messaging import pipeline
    except ImportError:
        pipeline = types.ModuleType("messaging.pipeline")
        monkeypatch.setitem(sys.modules, "messaging.pipeline", pipeline)
        import messaging

        monkeypatch.setattr(messaging, "pipeline", pipeline, raising=False)
    monkeypatch.setattr(pipeline, "enqueue", lambda message: calls.append(message.pk), raising=False)
    return calls


def guardian_of(school):
    return Guardian.objects.for_school(school).first()


# --- consent ---------------------------------------------------------------------------------


def test_consent_set_updates_the_guardian_records_the_change_and_audits(school, alice):
    guardian = guardian_of(school)
    change = consent_set(
        guardian=guardian, channel="whatsapp", granted=True, source="staff", actor=alice, note="Signed the form"
    )
    guardian.refresh_from_db()
    assert guardian.consent_whatsapp is True and guardian.consent_sms is False
    assert (change.channel, change.granted, change.source, change.actor) == ("whatsapp", True, "staff", alice)
    entry = AuditLog.objects.get(school=school, action="guardian.consent_changed")
    assert entry.target_id == str(guardian.pk) and entry.changes["channel"] == "whatsapp"


def test_consent_set_does_nothing_when_unchanged(school):
    guardian = guardian_of(school)
    assert consent_set(guardian=guardian, channel="sms", granted=True, source="keyword") is not None
    assert consent_set(guardian=guardian, channel="sms", granted=True, source="keyword") is None
    assert ConsentChange.objects.filter(guardian=guardian).count() == 1
    assert AuditLog.objects.filter(school=school, action="guardian.consent_changed").count() == 1


def test_consent_set_refuses_an_unknown_channel_and_changes_nothing(school):
    guardian = guardian_of(school)
    with pytest.raises(MessagingError) as exc:
        consent_set(guardian=guardian, channel="pigeon", granted=True, source="staff")
    assert "channel" in exc.value.fields
    assert not ConsentChange.objects.exists()


def test_registrar_records_consent_on_the_guardian_page(school, registrar, verified_client):
    guardian = guardian_of(school)
    client = verified_client(registrar)
    url = f"/s/greenfield/messages/guardians/{guardian.pk}/consent/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"sms": "on", "email": "on", "note": "Paper form at enrolment"})
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert (guardian.consent_sms, guardian.consent_whatsapp, guardian.consent_email) == (True, False, True)
    changes = ConsentChange.objects.filter(guardian=guardian)
    assert {(c.channel, c.source, c.actor_id) for c in changes} == {
        ("sms", "staff", registrar.pk),
        ("email", "staff", registrar.pk),
    }
    page = client.get(url).content.decode()
    assert "Paper form at enrolment" in page and "Withdrew" not in page
    # The student page links there and shows what was agreed.
    student = guardian.student_links.first().student
    detail = client.get(f"/s/greenfield/students/{student.pk}/").content.decode()
    assert url in detail and "Agreed to: SMS" in detail


def test_teacher_cannot_record_consent_and_other_school_gets_404(
    school, other_school, teacher, charlie, verified_client
):
    guardian = guardian_of(school)
    assert (
        verified_client(teacher)
        .post(f"/s/greenfield/messages/guardians/{guardian.pk}/consent/", {"sms": "on"})
        .status_code
        == 403
    )
    response = verified_client(charlie).post(f"/s/riverside/messages/guardians/{guardian.pk}/consent/", {"sms": "on"})
    assert response.status_code == 404
    guardian.refresh_from_db()
    assert guardian.consent_sms is False


# --- log -------------------------------------------------------------------------------------


def test_log_filters_by_status_channel_type_and_recipient(school, bursar, verified_client):
    failed = make_message(school, status=Message.Status.FAILED)
    email = make_message(school, channel="email", template_type="INVOICE_ISSUED")
    client = verified_client(bursar)

    def shown(query):
        page = client.get(f"/s/greenfield/messages/{query}").content.decode()
        return {m.pk for m in (failed, email) if f"/messages/{m.pk}/" in page}

    assert shown("") == {failed.pk, email.pk}
    assert shown("?status=failed") == {failed.pk}
    assert shown("?channel=email&type=INVOICE_ISSUED") == {email.pk}
    assert shown("?channel=sms&type=INVOICE_ISSUED") == set()
    assert shown(f"?q={failed.guardian.last_name}") == {failed.pk, email.pk}
    assert shown(f"?q={email.to_address}") == {email.pk}
    assert shown("?q=nobody-by-that-name") == set()
    assert shown("?status=not-a-status") == {failed.pk, email.pk}  # a bad filter is dropped, not a 500


def test_log_says_which_pupil_a_message_is_about(school, bursar, verified_client):
    # Two children of one family: the row names the pupil, not only the guardian it went to.
    message = make_message(school, template_type="ABSENCE_ALERT")
    page = verified_client(bursar).get("/s/greenfield/messages/").content.decode()
    assert f"about {message.student.first_name} {message.student.last_name}" in page


def test_log_date_range_is_in_school_time(school, bursar, verified_client):
    # 23:30 in Lagos on 3 March is 22:30 UTC the same day; 00:30 on 4 March is 23:30 UTC on 3 March.
    late = make_message(school, created_at=datetime.datetime(2025, 3, 3, 23, 30, tzinfo=LAGOS))
    next_day = make_message(school, created_at=datetime.datetime(2025, 3, 4, 0, 30, tzinfo=LAGOS))
    body = verified_client(bursar).get("/s/greenfield/messages/?date_from=2025-03-03&date_to=2025-03-03")
    page = body.content.decode()
    assert f"/messages/{late.pk}/" in page and f"/messages/{next_day.pk}/" not in page
    page = verified_client(bursar).get("/s/greenfield/messages/?date_from=2025-03-04").content.decode()
    assert f"/messages/{late.pk}/" not in page and f"/messages/{next_day.pk}/" in page


def test_log_htmx_request_gets_the_table_only_and_varies_on_it(school, bursar, verified_client):
    make_message(school)
    client = verified_client(bursar)
    full = client.get("/s/greenfield/messages/")
    fragment = client.get("/s/greenfield/messages/?status=queued", HTTP_HX_REQUEST="true")
    assert "HX-Request" in full["Vary"] and "HX-Request" in fragment["Vary"]
    assert b"<html" in full.content and b"<html" not in fragment.content and b"Payment receipt" in fragment.content
    assert b"Messages</a></li>" in full.content  # the nav link


def test_log_needs_messaging_send(school, teacher, verified_client):
    assert verified_client(teacher).get("/s/greenfield/messages/").status_code == 403


def test_detail_shows_the_status_history(school, bursar, verified_client):
    message = make_message(school)
    advance(message, Message.Status.SENDING, note="handed to provider")
    advance(message, Message.Status.SENT, note="accepted by provider")
    page = verified_client(bursar).get(f"/s/greenfield/messages/{message.pk}/").content.decode()
    assert "handed to provider" in page and "accepted by provider" in page and "Thank you for your payment." in page
    assert "Retry" not in page  # only a failed message offers it


def test_other_schools_message_is_404_on_every_page(school, other_school, charlie, enqueued, verified_client):
    message = make_message(school, status=Message.Status.FAILED, body="GREENFIELD-SECRET")
    client = verified_client(charlie)
    assert client.get(f"/s/riverside/messages/{message.pk}/").status_code == 404
    assert client.post(f"/s/riverside/messages/{message.pk}/retry/").status_code == 404
    assert client.get(f"/s/greenfield/messages/{message.pk}/").status_code == 404
    assert b"GREENFIELD-SECRET" not in client.get("/s/riverside/messages/").content
    assert not Message.objects.filter(idempotency_key__startswith="retry:").exists() and enqueued == []


# --- retry -----------------------------------------------------------------------------------


def test_retry_of_a_failed_message_queues_a_new_one_and_enqueues_it(
    school, bursar, enqueued, verified_client, django_capture_on_commit_callbacks
):
    guardian = guardian_of(school)
    Guardian.objects.filter(pk=guardian.pk).update(consent_sms=True, phone="+2348039999999")
    failed = make_message(school, guardian=guardian, status=Message.Status.FAILED)
    client = verified_client(bursar)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/s/greenfield/messages/{failed.pk}/retry/")
    retry = Message.objects.get(idempotency_key=f"retry:{failed.pk}:1")
    assert response.status_code == 302 and response["Location"].endswith(f"/messages/{retry.pk}/")
    assert enqueued == [retry.pk]
    # A new message, to the guardian's current number; the failed one is untouched.
    assert retry.status == "queued" and retry.to_address == "+2348039999999" and retry.body == failed.body
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert MessageStatusChange.objects.filter(message=retry, status="queued").exists()
    assert AuditLog.objects.filter(school=school, action="message.retried", target_id=str(failed.pk)).exists()
    # A second retry gets the next number.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/s/greenfield/messages/{failed.pk}/retry/")
    assert Message.objects.filter(idempotency_key=f"retry:{failed.pk}:2").exists() and len(enqueued) == 2
    page = client.get(f"/s/greenfield/messages/{failed.pk}/").content.decode()
    assert f"/messages/{retry.pk}/" in page


def test_retry_refuses_a_message_that_did_not_fail(school, bursar, enqueued, verified_client):
    delivered = make_message(school, status=Message.Status.DELIVERED)
    response = verified_client(bursar).post(f"/s/greenfield/messages/{delivered.pk}/retry/", follow=True)
    assert "Only a failed message can be retried" in response.content.decode()
    assert Message.objects.count() == 1 and enqueued == []


def test_retry_refuses_when_the_guardian_has_since_opted_out(school, bursar, enqueued, verified_client):
    failed = make_message(school, status=Message.Status.FAILED)  # the guardian has no SMS consent
    response = verified_client(bursar).post(f"/s/greenfield/messages/{failed.pk}/retry/", follow=True)
    assert "has not agreed" in response.content.decode()
    assert Message.objects.count() == 1 and enqueued == []


def test_teacher_cannot_retry(school, teacher, enqueued, verified_client):
    failed = make_message(school, status=Message.Status.FAILED)
    assert verified_client(teacher).post(f"/s/greenfield/messages/{failed.pk}/retry/").status_code == 403
    assert Message.objects.count() == 1


# --- student page ----------------------------------------------------------------------------


def test_student_page_lists_the_guardians_recent_messages(school, other_school, bursar, teacher, verified_client):
    message = make_message(school, template_type="OVERDUE_NOTICE")
    student = message.student
    make_message(other_school, template_type="WELCOME")  # Riverside's: never on Greenfield's page
    page = verified_client(bursar).get(f"/s/greenfield/students/{student.pk}/").content.decode()
    assert f"/s/greenfield/messages/{message.pk}/" in page and "Overdue notice" in page and "Welcome" not in page
    # Without messaging.send the section is not there.
    page = verified_client(teacher).get(f"/s/greenfield/students/{student.pk}/").content.decode()
    assert "Recent messages" not in page


# --- API -------------------------------------------------------------------------------------


def test_api_lists_messages_with_filters_and_pagination(school, bursar, api):
    failed = make_message(school, status=Message.Status.FAILED)
    make_message(school, channel="email", template_type="INVOICE_ISSUED")
    make_message(school, created_at=datetime.datetime(2025, 3, 3, 23, 30, tzinfo=LAGOS))
    api.force_authenticate(bursar)
    body = api.get("/api/v1/schools/greenfield/messages/").json()
    assert body["count"] == 3 and {"next", "previous", "results"} <= set(body)
    assert [m["id"] for m in api.get("/api/v1/schools/greenfield/messages/?status=failed").json()["results"]] == [
        failed.pk
    ]
    emails = api.get("/api/v1/schools/greenfield/messages/?channel=email&type=INVOICE_ISSUED").json()
    assert emails["count"] == 1 and emails["results"][0]["type"] == "INVOICE_ISSUED"
    march = api.get("/api/v1/schools/greenfield/messages/?date_from=2025-03-03&date_to=2025-03-03").json()
    assert march["count"] == 1
    assert api.get("/api/v1/schools/greenfield/messages/?status=bogus").status_code == 400


def test_api_detail_has_the_history_and_other_school_gets_404(school, other_school, bursar, charlie, api):
    message = make_message(school)
    advance(message, Message.Status.SENDING, note="to provider")
    api.force_authenticate(bursar)
    detail = api.get(f"/api/v1/schools/greenfield/messages/{message.pk}/").json()
    assert [h["status"] for h in detail["history"]] == ["sending"] and detail["history"][0]["note"] == "to provider"
    api.force_authenticate(charlie)
    assert api.get(f"/api/v1/schools/riverside/messages/{message.pk}/").status_code == 404
    assert api.post(f"/api/v1/schools/riverside/messages/{message.pk}/retry/").status_code == 404
    assert api.get(f"/api/v1/schools/greenfield/messages/{message.pk}/").status_code == 404
    assert api.get("/api/v1/schools/riverside/messages/").json()["count"] == 0


def test_api_retry_creates_a_new_message_or_explains_why_not(
    school, bursar, enqueued, api, django_capture_on_commit_callbacks
):
    guardian = guardian_of(school)
    Guardian.objects.filter(pk=guardian.pk).update(consent_sms=True)
    failed = make_message(school, status=Message.Status.FAILED)
    sent = make_message(school, status=Message.Status.SENT)
    api.force_authenticate(bursar)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/schools/greenfield/messages/{failed.pk}/retry/")
    assert response.status_code == 201
    assert response.json()["status"] == "queued" and enqueued == [response.json()["id"]]
    assert Message.objects.get(pk=response.json()["id"]).idempotency_key == f"retry:{failed.pk}:1"
    refused = api.post(f"/api/v1/schools/greenfield/messages/{sent.pk}/retry/")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "not_retryable"


def test_api_consent_reads_and_records(school, registrar, teacher, charlie, api):
    guardian = guardian_of(school)
    url = f"/api/v1/schools/greenfield/guardians/{guardian.pk}/consent/"
    api.force_authenticate(registrar)
    assert api.get(url).json() == {
        "guardian_id": guardian.pk,
        "sms": False,
        "whatsapp": False,
        "email": False,
        "history": [],
    }
    body = api.post(url, {"channel": "whatsapp", "granted": True, "note": "phoned"}, format="json").json()
    assert body["whatsapp"] is True and body["history"][0]["source"] == "staff"
    assert body["history"][0]["actor"] == registrar.get_username()
    bad = api.post(url, {"channel": "fax", "granted": True}, format="json")
    assert bad.status_code == 400 and "channel" in bad.json()["error"]["fields"]
    api.force_authenticate(teacher)
    assert api.get(url).status_code == 200
    assert api.post(url, {"channel": "sms", "granted": True}, format="json").status_code == 403
    api.force_authenticate(charlie)
    assert api.get(f"/api/v1/schools/riverside/guardians/{guardian.pk}/consent/").status_code == 404
    guardian.refresh_from_db()
    assert guardian.consent_sms is False


def test_api_schema_describes_the_messaging_endpoints(school, alice, client):
    client.force_login(alice)
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/schools/{school_slug}/messages/",
        "/api/v1/schools/{school_slug}/messages/{id}/",
        "/api/v1/schools/{school_slug}/messages/{id}/retry/",
        "/api/v1/schools/{school_slug}/guardians/{guardian_id}/consent/",
    ):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/v1/schools/{school_slug}/messages/"]["get"]["parameters"]}
    assert {"status", "channel", "type", "date_from", "date_to", "q", "page"} <= params


# --- words on the page -------------------------------------------------------------------------


def test_log_does_not_repeat_a_successful_status_but_explains_the_others(school, bursar, verified_client):
    # given a delivered message (its reason restates the status) and a suppressed one (its reason explains)
    delivered = make_message(school, status=Message.Status.DELIVERED)
    Message.objects.filter(pk=delivered.pk).update(status_reason="Delivered (log).")
    suppressed = make_message(school, status=Message.Status.SUPPRESSED)
    Message.objects.filter(pk=suppressed.pk).update(status_reason="No consent for SMS.")
    client = verified_client(bursar)
    # when the bursar reads the log and the delivered message
    log_page = client.get("/s/greenfield/messages/").content.decode()
    detail = client.get(f"/s/greenfield/messages/{delivered.pk}/").content.decode()
    # then "Delivered" is said once per row, the refusal is explained, and no success sits in an error box
    assert "Delivered (log)." not in log_page and "No consent for SMS." in log_page
    assert "message-error" not in detail


def test_consent_breadcrumb_lists_the_children_side_by_side_not_one_under_another(school, registrar, verified_client):
    from schools.tests import factories as f

    # given a guardian of two children
    guardian = guardian_of(school)
    first = guardian.student_links.first().student
    second = f.StudentFactory(school=school, admission_number="GFA/0002", first_name="Second")
    f.link(second, guardian, primary=False)
    # when staff open the guardian's consent page
    page = verified_client(registrar).get(f"/s/greenfield/messages/guardians/{guardian.pk}/consent/").content.decode()
    # then the breadcrumb is Students › Consent, and both children are named beside it
    crumb = page.split('class="breadcrumb">', 1)[1].split("</nav>", 1)[0]
    assert f"/students/{first.pk}/" not in crumb and f"/students/{second.pk}/" not in crumb
    assert f"/students/{first.pk}/" in page and f"/students/{second.pk}/" in page
