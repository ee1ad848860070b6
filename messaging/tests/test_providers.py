"""Providers and the send task: the real Twilio SDK against a local fake, SES against moto, SMTP
through Django's email backend; retries, permanent errors and a killed send never resent."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from classpoint import secrets
from classpoint.messages import request_message
from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from messaging import pipeline
from messaging.models import Message, ProviderConfig
from messaging.providers import LogProvider, get_provider
from messaging.tasks import fail_stuck_sends, send_message

from .fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings, monkeypatch):
    settings.MESSAGING_SEND_BACKOFF_SECONDS = 0
    settings.MESSAGING_SEND_MAX_ATTEMPTS = 3
    settings.SECRETS_BACKEND = "env"
    secrets.clear_cache()
    # daytime in Lagos, whatever the clock of the machine running the tests
    monkeypatch.setattr(pipeline, "_now", lambda: timezone.now().replace(hour=11, minute=0))
    yield
    secrets.clear_cache()


def configure(school, channel, key, secret, monkeypatch):
    ProviderConfig.objects.create(school=school, channel=channel, secret_key=key)
    var = re.sub(r"[^A-Za-z0-9]+", "_", secrets.secret_name("providers", key)).upper()
    monkeypatch.setenv(var, json.dumps(secret))


@pytest.fixture
def twilio(school, settings, monkeypatch):
    with FakeTwilio() as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.WEBHOOK_BASE_URL = "https://app.classpoint.test"
        settings.DELIVERY_CALLBACK_URL = ""
        secret = {
            "type": "twilio",
            "accountSid": fake.account_sid,
            "authToken": fake.auth_token,
            "from": "+15005550006",
            "messagingServiceSid": "",
            "whatsappEnabled": True,
        }
        configure(school, "sms", "twilio-main", secret, monkeypatch)
        configure(school, "whatsapp", "twilio-wa", secret, monkeypatch)
        yield fake


_events = iter(range(10_000, 20_000))


def queued(school, channel="sms", to=None):
    guardian = school.guardians.get()
    guardian.consent_sms = guardian.consent_whatsapp = guardian.consent_email = True
    guardian.save()
    to = to or (guardian.email if channel == "email" else guardian.phone)
    message = pipeline._create(
        school=school,
        event=OutboxEvent(pk=next(_events)),
        guardian=guardian,
        student=None,
        channel=channel,
        type_="WELCOME",
        subject="Welcome",
        body="Welcome to Greenfield.",
        status="queued",
        reason="",
        urgent=False,
        send_after=None,
    )
    Message.objects.filter(pk=message.pk).update(to_address=to)
    return message


def test_without_provider_config_the_log_provider_sends(school):
    assert isinstance(get_provider(school=school, channel="sms"), LogProvider)
    message = queued(school)
    assert send_message(message.pk) == "delivered"


def test_twilio_500_then_201_is_retried_then_sent(school, twilio, django_capture_on_commit_callbacks):
    # given the fake fails once with a server error
    twilio.answer(500)
    guardian = school.guardians.get()
    guardian.consent_sms = True
    guardian.save()
    # when a message is requested through the whole pipeline
    with django_capture_on_commit_callbacks(execute=True):
        request_message(
            school=school,
            template="WELCOME",
            guardian_ids=[guardian.pk],
            dedupe_key="welcome",
            context={"student_name": "Ada"},
        )
        worker.drain()
    # then the SDK called twice and the second answer counts
    message = Message.objects.for_school(school).get()
    assert len(twilio.calls) == 2
    assert (message.status, message.provider, message.attempts) == ("sent", "twilio", 2)
    assert message.provider_message_id.startswith("SM")
    call = twilio.calls[-1]
    assert (call["To"], call["From"]) == (guardian.phone, "+15005550006")
    assert call["Body"] == message.body
    assert call["StatusCallback"] == "https://app.classpoint.test/messaging/callbacks/twilio/status/"
    assert list(message.history.values_list("status", flat=True)) == ["queued", "sending", "sent"]


@pytest.mark.parametrize("code, words", [(21211, "not valid"), (21610, "unsubscribed"), (21614, "not a mobile")])
def test_twilio_permanent_error_fails_at_once_with_the_reason(school, twilio, code, words):
    twilio.answer(400, code)
    message = queued(school)
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert len(twilio.calls) == 1 and message.attempts == 1
    assert words in message.status_reason and str(code) in message.error


def test_twilio_down_for_every_attempt_fails_after_the_limit(school, twilio):
    for _ in range(3):
        twilio.answer(503)
    message = queued(school)
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert len(twilio.calls) == 3 and message.attempts == 3
    assert message.status_reason.startswith("The provider was unavailable after 3 attempts")


def test_twilio_timeout_is_retried(school, twilio, settings):
    settings.MESSAGING_PROVIDER_TIMEOUT_SECONDS = 1
    twilio.answer(201, delay=1.5)
    message = queued(school)
    assert send_message(message.pk) == "sent"
    message.refresh_from_db()
    assert message.attempts == 2 and len(twilio.calls) == 2


def test_killed_send_is_not_sent_again(school, twilio):
    # given a worker claimed the message and died mid-send, longer ago than a task can run
    message = queued(school)
    Message.objects.filter(pk=message.pk).update(status="sending", attempts=1)
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    # when django-q redelivers the task
    assert send_message(message.pk) == "failed"
    # then the provider is never called again, and the reason says what to do
    message.refresh_from_db()
    assert twilio.calls == []
    assert "interrupted" in message.status_reason and "provider's log" in message.status_reason
    assert message.attempts == 1


def test_send_in_progress_elsewhere_is_left_alone(school, twilio):
    message = queued(school)
    Message.objects.filter(pk=message.pk).update(status="sending")
    assert send_message(message.pk) == "sending"
    assert twilio.calls == []


def test_stuck_sends_are_failed_by_the_sweep_without_sending(school, twilio):
    message = queued(school)
    Message.objects.filter(pk=message.pk).update(status="sending")
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert fail_stuck_sends() == 1
    message.refresh_from_db()
    assert message.status == "failed" and twilio.calls == []


def test_second_task_for_a_sent_message_does_nothing(school, twilio):
    message = queued(school)
    assert send_message(message.pk) == "sent"
    assert send_message(message.pk) == "sent"
    assert len(twilio.calls) == 1


def test_whatsapp_goes_through_twilio_with_whatsapp_addresses(school, twilio):
    message = queued(school, channel="whatsapp")
    assert send_message(message.pk) == "sent"
    assert twilio.calls[0]["To"] == f"whatsapp:{message.to_address}"
    assert twilio.calls[0]["From"] == "whatsapp:+15005550006"


def test_messaging_service_sid_is_used_instead_of_a_from_number(school, twilio, monkeypatch):
    ProviderConfig.objects.for_school(school).filter(channel="sms").delete()
    configure(
        school,
        "sms",
        "twilio-svc",
        {
            "type": "twilio",
            "accountSid": twilio.account_sid,
            "authToken": twilio.auth_token,
            "messagingServiceSid": "MG123",
        },
        monkeypatch,
    )
    message = queued(school)
    assert send_message(message.pk) == "sent"
    assert twilio.calls[0]["MessagingServiceSid"] == "MG123" and "From" not in twilio.calls[0]


def test_wrong_twilio_credentials_fail_with_an_actionable_reason(school, twilio, monkeypatch):
    ProviderConfig.objects.for_school(school).filter(channel="sms").delete()
    configure(
        school,
        "sms",
        "twilio-bad",
        {"type": "twilio", "accountSid": twilio.account_sid, "authToken": "wrong", "from": "+15005550006"},
        monkeypatch,
    )
    message = queued(school)
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert "credentials" in message.status_reason


def test_missing_provider_secret_fails_without_sending(school):
    ProviderConfig.objects.create(school=school, channel="sms", secret_key="nowhere")
    message = queued(school)
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert "secret is missing" in message.status_reason and message.attempts == 0
    assert list(message.history.values_list("status", flat=True)) == ["queued", "failed"]


def test_email_provider_type_cannot_send_sms(school, monkeypatch):
    configure(school, "sms", "ses-main", {"type": "ses", "region": "us-east-1", "from": "a@b.test"}, monkeypatch)
    message = queued(school)
    assert send_message(message.pk) == "failed"


@pytest.fixture
def ses(school, settings, monkeypatch):
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    settings.SES_ENDPOINT_URL = endpoint
    client = boto3.client("ses", region_name="us-east-1", endpoint_url=endpoint)
    client.verify_email_identity(EmailAddress="bursary@greenfield.test")
    configure(
        school,
        "email",
        "ses-main",
        {"type": "ses", "region": "us-east-1", "from": "bursary@greenfield.test", "subject": "Greenfield Academy"},
        monkeypatch,
    )
    yield endpoint
    server.stop()


def test_ses_sends_email(school, ses):
    import boto3

    message = queued(school, channel="email")
    assert send_message(message.pk) == "sent"
    message.refresh_from_db()
    assert message.provider == "ses" and message.provider_message_id
    quota = boto3.client("ses", region_name="us-east-1", endpoint_url=ses).get_send_quota()
    assert quota["SentLast24Hours"] == 1


def test_ses_unverified_sender_is_a_permanent_failure(school, ses, monkeypatch):
    ProviderConfig.objects.for_school(school).filter(channel="email").delete()
    configure(
        school, "email", "ses-other", {"type": "ses", "region": "us-east-1", "from": "who@nowhere.test"}, monkeypatch
    )
    message = queued(school, channel="email")
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert message.attempts == 1 and "SES refused" in message.status_reason


def test_smtp_sends_through_django_email(school, monkeypatch):
    configure(school, "email", "smtp-main", {"type": "smtp", "from": "office@greenfield.test"}, monkeypatch)
    message = queued(school, channel="email")
    assert send_message(message.pk) == "sent"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert (email.to, email.from_email, email.subject) == ([message.to_address], "office@greenfield.test", "Welcome")
    message.refresh_from_db()
    assert message.provider == "smtp" and email.extra_headers["Message-ID"] == message.provider_message_id


def test_smtp_server_unreachable_is_retried_then_failed(school, monkeypatch):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    configure(
        school,
        "email",
        "smtp-down",
        {"type": "smtp", "from": "o@g.test", "host": "127.0.0.1", "port": port, "useTls": False},
        monkeypatch,
    )
    message = queued(school, channel="email")
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert message.attempts == 3 and "could not be reached" in message.status_reason


def test_school_channel_rate_limit_defers_the_excess_for_a_minute(school, twilio):
    # given the school may send 2 SMS a minute
    ProviderConfig.objects.for_school(school).filter(channel="sms").update(rate_per_minute=2)
    first, second, third = (queued(school) for _ in range(3))
    # when three are sent in the same minute
    assert [send_message(m.pk) for m in (first, second, third)] == ["sent", "sent", "deferred"]
    # then the third waits a minute without calling the provider, and the sweep sends it later
    third.refresh_from_db()
    assert len(twilio.calls) == 2 and third.attempts == 0 and "Rate limit of 2" in third.status_reason
    assert timedelta(seconds=50) < third.send_after - timezone.now() <= timedelta(minutes=1)
