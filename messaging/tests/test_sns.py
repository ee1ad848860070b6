"""SES bounces and complaints through SNS: the signature is verified for real (our own RSA key and
self-signed certificate, served in place of SNS's), forged or foreign-signed messages change nothing,
a permanent bounce or a complaint withdraws email consent everywhere and marks the bounced message."""

import base64
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from messaging import sns
from messaging.models import ConsentChange, Message
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/messaging/callbacks/ses/sns/"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
CERT_URL = "https://sns.test.example/SimpleNotificationService-test.pem"
BOUNCED = "Bounced.Parent@Example.ng"


def _key_and_cert(common_name="sns.test.example"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


KEY, CERT_PEM = _key_and_cert()
OTHER_KEY, _ = _key_and_cert("attacker.example")


@pytest.fixture(autouse=True)
def sns_settings(settings, monkeypatch):
    settings.SNS_CERT_HOST_PATTERN = r"^sns\.test\.example$"
    settings.SES_SNS_TOPIC_ARNS = [TOPIC]
    fetched = []

    def download(url):  # the network is faked; the certificate and the signature check are real
        fetched.append(url)
        if url == CERT_URL:
            return CERT_PEM
        if url.startswith("https://sns.test.example/?Action=ConfirmSubscription"):
            return b"<ConfirmSubscriptionResponse/>"
        raise OSError(f"unexpected fetch {url}")

    monkeypatch.setattr(sns, "_download", download)
    sns.clear_cache()
    yield fetched
    sns.clear_cache()


def sign(message, key=KEY, version="1"):
    message = {"SignatureVersion": version, "SigningCertURL": CERT_URL, **message}
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(sns.string_to_sign(message).encode(), padding.PKCS1v15(), algorithm)
    return {**message, "Signature": base64.b64encode(signature).decode()}


def notification(ses, topic=TOPIC, **extra):
    return {
        "Type": "Notification",
        "MessageId": "11111111-2222",
        "TopicArn": topic,
        "Message": json.dumps(ses),
        "Timestamp": "2026-11-23T15:00:00.000Z",
        **extra,
    }


def bounce(address=BOUNCED, bounce_type="Permanent", message_id="ses-msg-1"):
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address.lower()}],
        },
        "mail": {"messageId": message_id, "destination": [address.lower()]},
    }


def post(client, message):
    return client.post(URL, json.dumps(message), content_type="text/plain; charset=UTF-8")


@pytest.fixture
def bounced_guardians(school, other_school):
    here = f.GuardianFactory(school=school, email=BOUNCED, consent_email=True)
    there = f.GuardianFactory(school=other_school, email=BOUNCED.lower(), consent_email=True)
    bystander = f.GuardianFactory(school=school, email="fine@example.ng", consent_email=True)
    return here, there, bystander


@pytest.fixture
def ses_message(school, bounced_guardians):
    return Message.objects.create(
        school=school,
        guardian=bounced_guardians[0],
        channel="email",
        template_type="ANNOUNCEMENT",
        to_address=BOUNCED,
        body="Hello",
        idempotency_key="ses-1",
        status=Message.Status.SENT,
        provider="ses",
        provider_message_id="ses-msg-1",
    )


def _consents(*guardians):
    for g in guardians:
        g.refresh_from_db()
    return [g.consent_email for g in guardians]


@pytest.mark.parametrize("version", ["1", "2"])
def test_permanent_bounce_withdraws_email_consent_in_every_school(client, bounced_guardians, ses_message, version):
    response = post(client, sign(notification(bounce()), version=version))
    assert response.status_code == 200
    assert _consents(*bounced_guardians) == [False, False, True]
    changes = ConsentChange.objects.filter(source="bounce", channel="email", granted=False)
    assert changes.count() == 2 and "Permanent" in changes.first().note
    ses_message.refresh_from_db()
    assert ses_message.status == "undelivered" and "bounce" in ses_message.error
    assert ses_message.history.filter(status="undelivered").exists()


def test_repeated_bounce_records_one_change(client, bounced_guardians):
    message = sign(notification(bounce(message_id="unknown")))
    assert post(client, message).status_code == post(client, message).status_code == 200
    assert ConsentChange.objects.filter(source="bounce").count() == 2


def test_transient_bounce_changes_nothing(client, bounced_guardians, ses_message):
    assert post(client, sign(notification(bounce(bounce_type="Transient")))).status_code == 200
    assert _consents(*bounced_guardians) == [True, True, True]
    ses_message.refresh_from_db()
    assert ses_message.status == "sent"


def test_complaint_withdraws_email_consent(client, bounced_guardians, ses_message):
    complaint = {
        "notificationType": "Complaint",
        "mail": {"messageId": "ses-msg-1"},
        "complaint": {"complainedRecipients": [{"emailAddress": BOUNCED}], "complaintFeedbackType": "abuse"},
    }
    assert post(client, sign(notification(complaint, Subject="Amazon SES Email Event"))).status_code == 200
    assert _consents(*bounced_guardians) == [False, False, True]
    assert ConsentChange.objects.filter(source="bounce", note__contains="complaint (abuse)").count() == 2


def test_forged_signature_is_refused_and_changes_nothing(client, bounced_guardians, ses_message):
    signed = sign(notification(bounce()))
    forged = sign(notification(bounce()), key=OTHER_KEY)
    tampered = {**signed, "Message": json.dumps(bounce(address="fine@example.ng"))}
    unsigned = {k: v for k, v in signed.items() if k != "Signature"}
    for message in (forged, tampered, unsigned, {**signed, "SignatureVersion": "3"}):
        assert post(client, message).status_code == 403
    assert _consents(*bounced_guardians) == [True, True, True]
    assert not ConsentChange.objects.exists()
    ses_message.refresh_from_db()
    assert ses_message.status == "sent"


@pytest.mark.parametrize(
    "cert_url",
    [
        "http://sns.test.example/SimpleNotificationService-test.pem",  # not https
        "https://sns.attacker.example/cert.pem",  # not an SNS host
        "https://sns.test.example.attacker.example/cert.pem",
    ],
)
def test_certificate_from_an_unknown_host_is_refused_without_fetching(
    client, bounced_guardians, sns_settings, cert_url
):
    assert post(client, sign(notification(bounce()) | {"SigningCertURL": cert_url})).status_code == 403
    assert sns_settings == []
    assert _consents(*bounced_guardians) == [True, True, True]


def test_certificate_is_fetched_once(client, bounced_guardians, sns_settings):
    post(client, sign(notification(bounce(message_id="a"))))
    post(client, sign(notification(bounce(message_id="b"))))
    assert sns_settings == [CERT_URL]


def test_notification_from_another_topic_changes_nothing(client, bounced_guardians):
    response = post(client, sign(notification(bounce(), topic="arn:aws:sns:eu-west-1:999:someone-else")))
    assert response.status_code == 200
    assert _consents(*bounced_guardians) == [True, True, True]


def subscription(topic=TOPIC):
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "sub-1",
        "Token": "tok",
        "TopicArn": topic,
        "Message": "You have chosen to subscribe.",
        "Timestamp": "2026-11-23T15:00:00.000Z",
        "SubscribeURL": "https://sns.test.example/?Action=ConfirmSubscription&TopicArn=x&Token=tok",
    }


def test_subscription_is_confirmed_only_for_configured_topics(client, sns_settings, settings):
    assert post(client, sign(subscription())).status_code == 200
    assert sns_settings[-1].startswith("https://sns.test.example/?Action=ConfirmSubscription")
    sns_settings.clear()
    assert post(client, sign(subscription(topic="arn:aws:sns:eu-west-1:999:other"))).status_code == 200
    assert sns_settings == [CERT_URL] or sns_settings == []  # the certificate at most; never the subscribe URL
    settings.SES_SNS_TOPIC_ARNS = []
    sns_settings.clear()
    assert post(client, sign(subscription())).status_code == 200
    assert not any("ConfirmSubscription" in url for url in sns_settings)


def test_subscribe_url_off_sns_is_not_visited(client, sns_settings):
    message = sign(subscription() | {"SubscribeURL": "https://internal.example/admin"})
    assert post(client, message).status_code == 403
    assert sns_settings == [CERT_URL]


def test_malformed_body_is_a_bad_request(client):
    assert client.post(URL, "not json", content_type="text/plain").status_code == 400
    assert client.get(URL).status_code == 405
