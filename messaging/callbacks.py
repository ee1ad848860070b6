"""Twilio calling us: delivery status callbacks and inbound replies (STOP / START / HELP).

Both are verified with the SDK's RequestValidator over the public URL Twilio called (settings
DELIVERY_CALLBACK_URL / INBOUND_CALLBACK_URL) and the auth token of the school's provider secret;
anything that does not verify is refused with 403 and changes nothing. These views are outside any
school: the school is found from the message (status) or the Twilio account and sender (inbound)."""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from prometheus_client import Counter
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from classpoint.scoping import enter_school, enter_schools, unscoped
from classpoint.secrets import SecretNotFound, get_secret, secret_name
from schools.models import Guardian, School

from .consent import consent_set
from .models import Channel, ConsentChange, Message, ProviderConfig
from .status import advance

log = logging.getLogger(__name__)
CALLBACKS = Counter(
    "classpoint_messaging_callbacks", "Twilio callbacks received, by kind and outcome.", ["kind", "outcome"]
)

S = Message.Status
STATUSES = {
    "queued": S.QUEUED,
    "sending": S.SENDING,
    "sent": S.SENT,
    "delivered": S.DELIVERED,
    "undelivered": S.UNDELIVERED,
    "failed": S.FAILED,
    "read": S.READ,
}
# Twilio's own opt-out and opt-in keywords (Advanced Opt-Out defaults), matched on the whole reply.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP"}


def _twilio_secret(secret_key):
    try:
        secret = get_secret(secret_name("providers", secret_key))
    except SecretNotFound:
        log.warning("provider secret %s is not configured", secret_key)
        return None
    if not isinstance(secret, dict) or secret.get("type") != "twilio" or not secret.get("authToken"):
        return None
    return secret


def _signed(request, url, token):
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(signature and token) and RequestValidator(token).validate(url, request.POST, signature)


def _forbidden(kind):
    CALLBACKS.labels(kind, "rejected").inc()
    return HttpResponse("Signature check failed.", status=403, content_type="text/plain")


def _twiml(response=None):
    return HttpResponse(str(response or MessagingResponse()), content_type="application/xml")


@csrf_exempt
@require_POST
def twilio_status(request):
    """Twilio reports a message's progress; a status only ever moves forward (messaging.status)."""
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    # Provider ids are unique per provider across schools; the message tells us whose secret signs.
    message = None
    if sid:
        with unscoped(reason="a provider's message id is unique across schools and names the school"):
            message = Message.objects.filter(provider="twilio", provider_message_id=sid).first()
    config = None
    if message is not None:
        enter_school(message.school_id)
        config = ProviderConfig.objects.for_school(message.school_id).filter(channel=message.channel).first()
    secret = _twilio_secret(config.secret_key) if config else None
    # An unknown message cannot be verified either: the same 403, so a forger learns nothing.
    if secret is None or not _signed(request, settings.DELIVERY_CALLBACK_URL, secret["authToken"]):
        return _forbidden("status")
    reported = (request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "").lower()
    new_status = STATUSES.get(reported)
    if new_status is None:  # accepted, scheduled, canceled...: nothing of ours to record
        CALLBACKS.labels("status", "ignored").inc()
        return HttpResponse(status=204)
    fields, note = {}, f"Twilio: {reported}"
    code = request.POST.get("ErrorCode", "")
    if new_status in (S.FAILED, S.UNDELIVERED) and code:
        note = f"{note} (error {code})"
        fields = {"error": f"Twilio error {code}", "status_reason": f"Twilio reported {reported} (error {code})"}
    moved = advance(message, new_status, note=note, **fields)
    CALLBACKS.labels("status", "applied" if moved else "stale").inc()
    return HttpResponse(status=204)


def _matches(secret, post):
    """Whether an inbound message arrived through this secret's account and sender."""
    if secret.get("accountSid") != post.get("AccountSid"):
        return False
    to = post.get("To", "").removeprefix("whatsapp:")
    service = post.get("MessagingServiceSid", "")
    senders = [secret.get("from", "").removeprefix("whatsapp:"), secret.get("messagingServiceSid", "")]
    if not any(senders):
        return True
    return (bool(to) and to == senders[0]) or (bool(service) and service == senders[1])


def _inbound_configs(request):
    """The provider configs (every school, SMS or WhatsApp) whose secret the request is from and
    signed with; empty when it verifies against none."""
    with unscoped(reason="an inbound reply names an account and number, not a school; the configs find the schools"):
        configs = list(ProviderConfig.objects.filter(is_active=True, channel__in=[Channel.SMS, Channel.WHATSAPP]))
    verified = set()
    for key in {c.secret_key for c in configs}:
        secret = _twilio_secret(key)
        if (
            secret
            and _matches(secret, request.POST)
            and _signed(request, settings.INBOUND_CALLBACK_URL, secret["authToken"])
        ):
            verified.add(key)
    return [c for c in configs if c.secret_key in verified]


def _help_text(schools):
    parts = []
    for school in schools:
        profile = getattr(school, "profile", None)
        contact = " or ".join(x for x in (getattr(profile, "phone", ""), getattr(profile, "email", "")) if x)
        parts.append(f"{school.name}: {contact}" if contact else school.name)
    return "Messages from " + "; ".join(parts) + ". Reply STOP to opt out, START to opt back in."


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """A guardian's reply: STOP-like keywords withdraw consent to that channel, START-like ones grant
    it again, HELP answers with the school's contact. Anything else is acknowledged and ignored."""
    configs = _inbound_configs(request)
    if not configs:
        return _forbidden("inbound")
    sender = request.POST.get("From", "")
    channel = Channel.WHATSAPP if sender.startswith("whatsapp:") else Channel.SMS
    phone = sender.removeprefix("whatsapp:")
    keyword = request.POST.get("Body", "").strip().strip(".!").upper()
    school_ids = {c.school_id for c in configs if c.channel == channel} or {c.school_id for c in configs}
    # The reply speaks for the schools whose account it verified against, and for no other.
    enter_schools(sorted(school_ids))
    guardians = list(Guardian.objects.filter(school_id__in=school_ids, phone=phone)) if phone else []
    if keyword in STOP_WORDS or keyword in START_WORDS:
        granted = keyword in START_WORDS
        changed = 0
        for guardian in guardians:
            change = consent_set(
                guardian=guardian,
                channel=channel,
                granted=granted,
                source=ConsentChange.Source.KEYWORD,
                note=f"Replied {keyword}",
            )
            changed += change is not None
        CALLBACKS.labels("inbound", "opt_in" if granted else "opt_out").inc()
        log.info("%s from a guardian number: %d consent changes in %d schools", keyword, changed, len(school_ids))
        # Twilio sends its own confirmation for these keywords; a second reply would be noise.
        return _twiml()
    if keyword in HELP_WORDS:
        CALLBACKS.labels("inbound", "help").inc()
        ids = {g.school_id for g in guardians} or school_ids
        schools = School.objects.filter(pk__in=ids).select_related("profile").order_by("name")
        reply = MessagingResponse()
        reply.message(_help_text(schools))
        return _twiml(reply)
    CALLBACKS.labels("inbound", "ignored").inc()
    return _twiml()
