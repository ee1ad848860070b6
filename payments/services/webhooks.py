"""Gateway webhooks: stored once on arrival, then checked against our pay link and the gateway
and credited, ignored or flagged for staff."""

import logging

from django.db import IntegrityError, transaction

from classpoint.audit import audit
from classpoint.money import format_money
from classpoint.outbox import emit
from classpoint.scoping import unscoped

from ..gateways import GatewayError, get_gateway
from ..models import PaymentIntent, PaymentTransaction, WebhookEvent
from ._base import CREDITED
from .transactions import transaction_record

log = logging.getLogger(__name__)

# The largest amount a money column holds (a signed 64-bit integer).
MAX_AMOUNT_MINOR = 2**63 - 1


def webhook_receive(*, gateway, payload):
    """Store a correctly signed webhook once and hand it to the outbox. Returns (event, is_new)."""
    data = gateway.parse_event(payload)
    with unscoped(reason="the school is what a webhook's reference tells us; only this gateway's pay links"):
        intent = (
            PaymentIntent.objects.filter(gateway=gateway.name, reference=data.reference)
            .select_related("school")
            .first()
        )
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                gateway=gateway.name, event_id=data.event_id, reference=data.reference, payload=payload
            )
            emit(
                school=intent.school if intent else None,
                event_type="payments.webhook_received",
                payload={"webhook_event_id": event.pk},
            )
    except IntegrityError:
        return WebhookEvent.objects.get(gateway=gateway.name, event_id=data.event_id), False
    return event, True


def _webhook_decided(event, status, problem=""):
    event.status, event.problem = status, problem[:300]
    event.save(update_fields=["status", "problem"])


def _webhook_flag(event, intent, problem):
    """Keep a signed event we will not act on where the school's staff see it, once: the handler
    returns normally, so the outbox neither retries it nor dead-letters it."""
    log.warning("webhook %s flagged: %s", event.pk, problem)
    _webhook_decided(event, WebhookEvent.Status.FLAGGED, problem)
    changes = {"gateway": event.gateway, "event_id": event.event_id, "problem": event.problem}
    audit(school=intent.school, actor=None, action="payment.webhook_flagged", target=intent, changes=changes)


def webhook_process(*, webhook_event_id):
    """Credit what a stored webhook reports, if it checks out against our intent and the gateway.
    Every outcome is written on the event; an event already ignored or flagged stays so.

    The gateway is asked first, with no row locked and none of our transactions open, so a slow or
    down gateway holds up no other event; then one short transaction re-checks under the locks and
    records the outcome."""
    facts = _webhook_verify(webhook_event_id)
    return _webhook_settle(webhook_event_id, facts)


# What `_webhook_verify` answers when the event needs no word from the gateway.
_NOT_ASKED = object()


def _webhook_verify(webhook_event_id):
    """The gateway's facts about the charge an event reports, or _NOT_ASKED when nothing would be
    credited anyway (read without locks: `_webhook_settle` decides, under them)."""
    event = WebhookEvent.objects.get(pk=webhook_event_id)
    gateway = get_gateway(event.gateway)
    if gateway is None or event.status in (WebhookEvent.Status.IGNORED, WebhookEvent.Status.FLAGGED):
        return _NOT_ASKED
    try:
        data = gateway.parse_event(event.payload)
    except GatewayError:
        return _NOT_ASKED
    if data.kind != "charge.success" or not 0 < data.amount_minor <= MAX_AMOUNT_MINOR:
        return _NOT_ASKED
    intent = PaymentIntent.objects.filter(gateway=gateway.name, reference=data.reference).first()
    if intent is None:
        return _NOT_ASKED
    if PaymentTransaction.objects.for_school(intent.school_id).filter(intent=intent, status__in=CREDITED).exists():
        return _NOT_ASKED
    return gateway.verify(data.reference)


@transaction.atomic
def _webhook_settle(webhook_event_id, facts):
    event = WebhookEvent.objects.select_for_update().get(pk=webhook_event_id)
    if event.status in (WebhookEvent.Status.IGNORED, WebhookEvent.Status.FLAGGED):
        return None
    gateway = get_gateway(event.gateway)
    if gateway is None:
        return _webhook_decided(event, WebhookEvent.Status.IGNORED, f"The {event.gateway} gateway is not enabled.")
    try:
        data = gateway.parse_event(event.payload)
    except GatewayError as exc:  # stored before payloads were checked on arrival
        return _webhook_decided(event, WebhookEvent.Status.IGNORED, str(exc))
    if data.kind != "charge.success":
        return _webhook_decided(event, WebhookEvent.Status.IGNORED, f"{data.kind} events credit nothing.")
    # The lock serialises every event for one pay link: the second sees the first one's credit.
    intents = PaymentIntent.objects.select_for_update(of=("self",)).select_related("school", "invoice")
    intent = intents.filter(gateway=gateway.name, reference=data.reference).first()
    if intent is None:
        log.warning("webhook %s names unknown reference %s: nothing credited", event.pk, data.reference)
        problem = f"No {gateway.name} payment has reference {data.reference}."
        return _webhook_decided(event, WebhookEvent.Status.IGNORED, problem)
    said = f"{data.amount_minor} {data.currency}"
    if not 0 < data.amount_minor <= MAX_AMOUNT_MINOR:
        return _webhook_flag(event, intent, f"Webhook says {said}, which no payment can be; nothing credited.")
    credited = PaymentTransaction.objects.for_school(intent.school).filter(intent=intent, status__in=CREDITED).first()
    if credited is not None:
        if (credited.gateway, credited.provider_reference) == (gateway.name, data.provider_reference):
            _webhook_decided(event, WebhookEvent.Status.PROCESSED)  # this very charge, delivered again
            return credited
        if (data.amount_minor, data.currency) != (credited.amount_minor, credited.currency):
            problem = f"Webhook says {said} for a payment already settled by transaction #{credited.pk}."
            return _webhook_flag(event, intent, problem)
        problem = f"Payment already settled by transaction #{credited.pk}; this event credits nothing."
        return _webhook_decided(event, WebhookEvent.Status.IGNORED, problem)
    flagged = []
    if data.amount_minor != intent.amount_minor or data.currency != intent.currency:
        flagged.append(
            f"the gateway reported {format_money(data.amount_minor, data.currency)} "
            f"but the pay link was for {format_money(intent.amount_minor, intent.currency)}"
        )
    if not intent.invoice.is_payable:
        flagged.append(f"the invoice is {intent.invoice.get_status_display().lower()}: refund the payer")
    if facts is _NOT_ASKED:
        # The unlocked read saw a reason to credit nothing, and none of those reasons goes away (a
        # credit stays credited); should one have, the outbox retries and the retry asks the gateway.
        raise GatewayError("The payment changed while the gateway was asked; retrying.")
    if facts is not None and (
        facts["status"] != "success"
        or facts["amount_minor"] != intent.amount_minor
        or facts["currency"] != intent.currency
    ):
        flagged.append(f"gateway verification says {facts}")
    tx = transaction_record(
        invoice=intent.invoice,
        intent=intent,
        kind=PaymentTransaction.Kind.GATEWAY,
        gateway=gateway.name,
        provider_reference=data.provider_reference,
        amount_minor=data.amount_minor,
        currency=data.currency,
        flag_reason="; ".join(flagged),
        actor=None,
    )
    _webhook_decided(event, WebhookEvent.Status.PROCESSED, tx.note if tx.status == tx.Status.FLAGGED else "")
    return tx
