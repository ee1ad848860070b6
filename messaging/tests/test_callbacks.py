"""Twilio status and inbound callbacks: signatures checked with the SDK over the public URL, statuses
only move forward, STOP / START change consent in every school using the provider config."""

import json
import re

import pytest
from django.test import override_settings
from twilio.request_validator import RequestValidator

from classpoint import secrets
from messaging.models import ConsentChange, Message, MessageStatusChange, ProviderConfig
from schools.models import Guardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
STATUS_URL = "https://cp.example.ng/messaging/callbacks/twilio/status/"
INBOUND_URL = "https://cp.example.ng/messaging/callbacks/twilio/inbound/"
TOKEN = "twilio-auth-token-1"
ACCOUNT = "AC0000000000000000000000000000001"
SENDER = "+2348000000001"


@pytest.fixture(autouse=True)
def twilio_secrets(monkeypatch, settings):
    settings.DELIVERY_CALLBACK_URL = STATUS_URL
    settings.INBOUND_CALLBACK_URL = INBOUND_URL

    def put(key, value):
        var = re.sub(r"[^A-Za-z0-9]+", "_", secrets.secret_name("providers", key)).upper()
        monkeypatch.setenv(var, json.dumps(value))

    settings.SECRETS_BACKEND = "env"
    put("gf-twilio", {"type": "twilio", "accountSid": ACCOUNT, "authToken": TOKEN, "from": SENDER})
    put(
        "other-twilio",
        {"type": "twilio", "accountSid": "AC-other", "authToken": "other-token", "from": "+2348000000009"},
    )
    secrets.clear_cache()
    yield put
    secrets.clear_cache()


def signed_post(client, url, params, token=TOKEN):
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(url.removeprefix("https://cp.example.ng"), params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def sent_message(school):
    ProviderConfig.objects.create(school=school, channel="sms", secret_key="gf-twilio")
    guardian = Guardian.objects.for_school(school).first()
    return Message.objects.create(
        school=school,
        guardian=guardian,
        channel="sms",
        template_type="PAYMENT_RECEIPT",
        to_address=guardian.phone,
        body="Receipt",
        idempotency_key="m1",
        status=Message.Status.SENT,
        provider="twilio",
        provider_message_id="SM123",
    )


def status_params(status, sid="SM123", **extra):
    return {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT, "To": "+2348031000000", **extra}


# --- status ----------------------------------------------------------------------------------


def test_valid_status_callback_moves_the_message_forward(client, sent_message):
    response = signed_post(client, STATUS_URL, status_params("delivered"))
    assert response.status_code == 204
    sent_message.refresh_from_db()
    assert sent_message.status == "delivered" and sent_message.delivered_at is not None
    assert MessageStatusChange.objects.filter(
        message=sent_message, status="delivered", note="Twilio: delivered"
    ).exists()


def test_forged_signature_is_refused_and_changes_nothing(client, sent_message):
    params = status_params("failed")
    forged = signed_post(client, STATUS_URL, params, token="not-the-token")
    missing = client.post("/messaging/callbacks/twilio/status/", params)
    # Signed for another URL (a replay against a different endpoint) is refused too.
    other_url = signed_post(client, STATUS_URL.replace("status", "inbound"), params)
    assert forged.status_code == missing.status_code == 403
    assert client.post("/messaging/callbacks/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE="x").status_code == 403
    assert other_url.status_code in (403, 404)
    sent_message.refresh_from_db()
    assert sent_message.status == "sent" and not sent_message.history.exists()


@override_settings(DELIVERY_CALLBACK_URL="https://elsewhere.example.ng/hook/")
def test_signature_is_checked_against_the_configured_public_url(client, sent_message):
    assert signed_post(client, STATUS_URL, status_params("delivered")).status_code == 403
    response = client.post(
        "/messaging/callbacks/twilio/status/",
        status_params("delivered"),
        HTTP_X_TWILIO_SIGNATURE=RequestValidator(TOKEN).compute_signature(
            "https://elsewhere.example.ng/hook/", status_params("delivered")
        ),
    )
    assert response.status_code == 204


def test_unknown_message_sid_is_refused(client, sent_message):
    assert signed_post(client, STATUS_URL, status_params("delivered", sid="SM-unknown")).status_code == 403


def test_statuses_only_move_forward(client, sent_message):
    assert signed_post(client, STATUS_URL, status_params("read")).status_code == 204
    # Late callbacks (Twilio does not guarantee order) never take it back.
    for late in ("delivered", "sent", "sending", "queued"):
        assert signed_post(client, STATUS_URL, status_params(late)).status_code == 204
    sent_message.refresh_from_db()
    assert sent_message.status == "read"
    assert list(sent_message.history.values_list("status", flat=True)) == ["read"]


def test_failed_callback_records_the_error_code(client, sent_message):
    signed_post(client, STATUS_URL, status_params("undelivered", ErrorCode="30006"))
    sent_message.refresh_from_db()
    assert sent_message.status == "undelivered" and "30006" in sent_message.error


def test_other_schools_secret_cannot_sign_for_this_message(client, sent_message, other_school):
    ProviderConfig.objects.create(school=other_school, channel="sms", secret_key="other-twilio")
    response = signed_post(client, STATUS_URL, status_params("failed"), token="other-token")
    assert response.status_code == 403


# --- inbound ---------------------------------------------------------------------------------


def inbound(body, sender, **extra):
    return {"AccountSid": ACCOUNT, "From": sender, "To": SENDER, "Body": body, "MessageSid": "SMin1", **extra}


@pytest.fixture
def shared_number(school, other_school):
    """One parent with children at Greenfield and at Riverside (both on the same Twilio config), and
    a third school on another Twilio account with a guardian of the same number."""
    ProviderConfig.objects.create(school=school, channel="sms", secret_key="gf-twilio")
    ProviderConfig.objects.create(school=other_school, channel="sms", secret_key="gf-twilio")
    ProviderConfig.objects.create(school=other_school, channel="whatsapp", secret_key="gf-twilio")
    third = f.provision("hilltop", "Hilltop School")
    ProviderConfig.objects.create(school=third, channel="sms", secret_key="other-twilio")
    phone = "+2348035550000"
    guardians = [
        f.GuardianFactory(school=s, phone=phone, consent_sms=True, consent_whatsapp=True)
        for s in (school, other_school, third)
    ]
    return phone, guardians


def test_stop_then_start_changes_sms_consent_in_every_school_on_that_config(client, shared_number):
    phone, (gf, rv, hill) = shared_number
    response = signed_post(client, INBOUND_URL, inbound("Stop", phone))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    for g in (gf, rv, hill):
        g.refresh_from_db()
    assert (gf.consent_sms, rv.consent_sms) == (False, False)
    assert gf.consent_whatsapp is True  # only the channel it came from
    assert hill.consent_sms is True  # another provider config: untouched
    changes = ConsentChange.objects.filter(source="keyword", granted=False, channel="sms")
    assert {c.guardian_id for c in changes} == {gf.pk, rv.pk} and changes[0].note == "Replied STOP"

    signed_post(client, INBOUND_URL, inbound("START", phone))
    gf.refresh_from_db()
    rv.refresh_from_db()
    assert (gf.consent_sms, rv.consent_sms) == (True, True)
    assert ConsentChange.objects.filter(source="keyword", granted=True, channel="sms").count() == 2


def test_every_opt_out_keyword_works_and_a_repeat_records_nothing(client, shared_number):
    phone, (gf, _rv, _hill) = shared_number
    for word in ("STOPALL", "unsubscribe", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"):
        Guardian.objects.filter(pk=gf.pk).update(consent_sms=True)
        signed_post(client, INBOUND_URL, inbound(word, phone))
        gf.refresh_from_db()
        assert gf.consent_sms is False, word
    count = ConsentChange.objects.count()
    signed_post(client, INBOUND_URL, inbound("STOP", phone))
    assert ConsentChange.objects.count() == count


def test_whatsapp_stop_opts_out_of_whatsapp_only(client, shared_number):
    phone, (gf, rv, _hill) = shared_number
    signed_post(client, INBOUND_URL, inbound("STOP", f"whatsapp:{phone}", To=f"whatsapp:{SENDER}"))
    rv.refresh_from_db()
    gf.refresh_from_db()
    assert (rv.consent_whatsapp, rv.consent_sms) == (False, True)
    # Greenfield sends no WhatsApp through this config; its guardian is left alone.
    assert gf.consent_whatsapp is True


def test_help_answers_with_the_schools_contact(client, school, shared_number):
    phone, _guardians = shared_number
    school.profile.phone = "+2348011112222"
    school.profile.save()
    body = signed_post(client, INBOUND_URL, inbound("help", phone)).content.decode()
    assert "<Message>" in body and "Greenfield Academy: +2348011112222" in body and "Riverside College" in body
    assert "Hilltop" not in body
    assert not ConsentChange.objects.exists()


def test_forged_inbound_is_refused_and_changes_nothing(client, shared_number):
    phone, (gf, _rv, _hill) = shared_number
    assert signed_post(client, INBOUND_URL, inbound("STOP", phone), token="guess").status_code == 403
    assert client.post("/messaging/callbacks/twilio/inbound/", inbound("STOP", phone)).status_code == 403
    # Signed for the status URL, replayed to the inbound one.
    assert signed_post(client, STATUS_URL, inbound("STOP", phone)).status_code in (403, 404, 405)
    gf.refresh_from_db()
    assert gf.consent_sms is True and not ConsentChange.objects.exists()


def test_other_account_signature_only_reaches_its_own_schools(client, shared_number):
    phone, (gf, _rv, hill) = shared_number
    params = inbound("STOP", phone, AccountSid="AC-other", To="+2348000000009")
    assert signed_post(client, INBOUND_URL, params, token="other-token").status_code == 200
    gf.refresh_from_db()
    hill.refresh_from_db()
    assert gf.consent_sms is True and hill.consent_sms is False
