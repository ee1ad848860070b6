"""Amazon SES telling us about bounces and complaints, through SNS HTTP(S) notifications.

Every message is checked against its SNS signature (SignatureVersion 1: SHA1, 2: SHA256, RSA with the
certificate at SigningCertURL) before anything is read from it. The certificate URL must be https on
an SNS host (settings SNS_CERT_HOST_PATTERN), or anyone could sign with their own key. A valid
signature only proves SNS sent it, not that it is our topic: only topics in settings SES_SNS_TOPIC_ARNS
are subscribed to or acted on. A permanent bounce or a complaint withdraws email consent from every
guardian (any school) with that address, so nothing more is sent to it; the message it was about, if
we sent it, is marked undelivered (a bounce)."""

import base64
import datetime
import json
import logging
import re
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from classpoint.scoping import enter_school, unscoped
from schools.models import Guardian

from .callbacks import CALLBACKS
from .consent import consent_set
from .models import Channel, ConsentChange, Message
from .status import advance

log = logging.getLogger(__name__)
S = Message.Status
DEFAULT_CERT_HOST_PATTERN = r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"
# The fields each message type signs, in this order (AWS: "Verifying the signatures of Amazon SNS messages").
SIGNED_FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
    "UnsubscribeConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
FETCH_TIMEOUT_SECONDS = 10
# SNS signs with a handful of certificates that change rarely; one fetch per URL per process.
_certificates = {}


class SnsError(Exception):
    """The message cannot be trusted (why, for the log)."""


def clear_cache():
    _certificates.clear()


def _https_sns_url(url):
    """True when `url` is https on a host SNS uses (settings SNS_CERT_HOST_PATTERN)."""
    parts = urllib.parse.urlsplit(url or "")
    pattern = getattr(settings, "SNS_CERT_HOST_PATTERN", None) or DEFAULT_CERT_HOST_PATTERN
    return parts.scheme == "https" and bool(parts.hostname) and bool(re.match(pattern, parts.hostname))


def _download(url):  # one seam for the network, so tests serve their own certificate
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (https checked)
        return response.read()


def _certificate(url):
    if not _https_sns_url(url):
        raise SnsError(f"certificate URL not on an SNS https host: {url[:200]}")
    if url not in _certificates:
        try:
            _certificates[url] = x509.load_pem_x509_certificate(_download(url))
        except (OSError, ValueError) as exc:
            raise SnsError(f"certificate could not be fetched or read: {exc}") from exc
    return _certificates[url]


def string_to_sign(message):
    kind = message.get("Type")
    if kind not in SIGNED_FIELDS:
        raise SnsError(f"unknown message type {kind!r}")
    lines = []
    for name in SIGNED_FIELDS[kind]:
        if name in message and message[name] is not None:
            lines += [name, str(message[name])]
        elif name != "Subject":  # the only optional field
            raise SnsError(f"{name} missing")
    return "\n".join(lines) + "\n"


def verify(message):
    """Raise SnsError unless `message` (the decoded JSON body) carries a valid SNS signature."""
    algorithm = HASHES.get(str(message.get("SignatureVersion", "")))
    if algorithm is None:
        raise SnsError(f"unsupported SignatureVersion {message.get('SignatureVersion')!r}")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
    except ValueError as exc:
        raise SnsError("signature is not base64") from exc
    text = string_to_sign(message)
    certificate = _certificate(message.get("SigningCertURL") or "")
    now = datetime.datetime.now(datetime.UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsError("certificate expired or not yet valid")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsError("certificate key is not RSA")
    try:
        key.verify(signature, text.encode(), padding.PKCS1v15(), algorithm())
    except InvalidSignature as exc:
        raise SnsError("signature does not match") from exc


def _topic_allowed(message):
    return message.get("TopicArn") in set(getattr(settings, "SES_SNS_TOPIC_ARNS", None) or [])


def _respond(text, status=200):
    return HttpResponse(text, status=status, content_type="text/plain")


@csrf_exempt
@require_POST
def ses_notification(request):
    """SNS posts here (Content-Type text/plain, a JSON body). 403 for anything not signed by SNS."""
    try:
        message = json.loads(request.body)
        if not isinstance(message, dict):
            raise ValueError("not an object")
    except ValueError:
        CALLBACKS.labels("ses", "malformed").inc()
        return _respond("Not an SNS message.", 400)
    try:
        verify(message)
    except SnsError as exc:
        log.warning("SNS message refused: %s", exc)
        CALLBACKS.labels("ses", "rejected").inc()
        return _respond("Signature check failed.", 403)
    kind = message["Type"]
    if not _topic_allowed(message):
        log.warning("SNS %s for a topic we do not use: %s", kind, message.get("TopicArn"))
        CALLBACKS.labels("ses", "unknown_topic").inc()
        return _respond("Topic not configured.")
    if kind == "SubscriptionConfirmation":
        return _confirm(message)
    if kind == "Notification":
        return _notification(message)
    CALLBACKS.labels("ses", "ignored").inc()
    return _respond("OK")


def _confirm(message):
    url = message.get("SubscribeURL") or ""
    # Visiting the URL is what confirms; it must be SNS's own, not somewhere the body points us to.
    if not _https_sns_url(url):
        CALLBACKS.labels("ses", "rejected").inc()
        return _respond("Subscribe URL is not an SNS address.", 403)
    try:
        _download(url)
    except OSError as exc:
        log.warning("SNS subscription to %s could not be confirmed: %s", message.get("TopicArn"), exc)
        CALLBACKS.labels("ses", "subscribe_failed").inc()
        return _respond("Could not confirm the subscription.", 502)  # SNS retries
    log.info("SNS subscription confirmed for %s", message.get("TopicArn"))
    CALLBACKS.labels("ses", "subscribed").inc()
    return _respond("Subscribed.")


def _addresses(recipients):
    return [r["emailAddress"].strip() for r in recipients or [] if isinstance(r, dict) and r.get("emailAddress")]


def _notification(message):
    try:
        ses = json.loads(message.get("Message") or "")
    except ValueError:
        ses = None
    if not isinstance(ses, dict):
        CALLBACKS.labels("ses", "ignored").inc()
        return _respond("Not an SES notification.")
    # Configuration-set event publishing says eventType; identity notifications say notificationType.
    kind = ses.get("notificationType") or ses.get("eventType")
    mail = ses.get("mail") or {}
    if kind == "Bounce":
        bounce = ses.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":  # a full mailbox today may take mail tomorrow
            CALLBACKS.labels("ses", "ignored").inc()
            return _respond("OK")
        addresses = _addresses(bounce.get("bouncedRecipients"))
        detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType', '')}".rstrip("/")
        note = f"SES bounce ({detail})"
    elif kind == "Complaint":
        complaint = ses.get("complaint") or {}
        addresses = _addresses(complaint.get("complainedRecipients"))
        note = f"SES complaint ({complaint.get('complaintFeedbackType') or 'unspecified'})"
    else:
        CALLBACKS.labels("ses", "ignored").inc()
        return _respond("OK")
    suppress(addresses=addresses, note=note)
    if kind == "Bounce" and mail.get("messageId"):
        # SES message ids are unique across schools, like Twilio's.
        with unscoped(reason="SES message ids are unique across schools"):
            sent = Message.objects.filter(provider="ses", provider_message_id=str(mail["messageId"])).first()
        if sent is not None:
            enter_school(sent.school_id)
            advance(sent, S.UNDELIVERED, note=note, error=note)
    CALLBACKS.labels("ses", kind.lower()).inc()
    return _respond("OK")


@unscoped(reason="a bounced address is bad for every school that holds it")
def suppress(*, addresses, note):
    """Withdraw email consent from every guardian, in any school, at one of `addresses`. Returns how
    many guardians changed (one already opted out is not recorded again)."""
    changed = 0
    for address in dict.fromkeys(a.lower() for a in addresses):
        # Every school: the address itself bounced, whoever wrote it down.
        for guardian in Guardian.objects.filter(email__iexact=address).order_by("pk"):
            change = consent_set(
                guardian=guardian, channel=Channel.EMAIL, granted=False, source=ConsentChange.Source.BOUNCE, note=note
            )
            changed += change is not None
    return changed
