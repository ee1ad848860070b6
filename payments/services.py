"""Every write to payments. Crediting is guarded four times: the webhook event is stored once,
the gateway reference is unique per school, a pay link is credited once (its row lock, then a
constraint), and fees allocates once per transaction."""

import logging
import secrets as pysecrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.files import download_url
from classpoint.money import format_money
from classpoint.outbox import emit
from classpoint.scoping import unscoped
from classpoint.secrets import SecretNotFound

from .documents import pdf_filename, pdf_is_current
from .errors import PaymentsError, PaymentsErrorCode
from .events import payment_confirmed_emit
from .gateways import GatewayError, get_gateway
from .models import PaymentIntent, PaymentTransaction, Receipt, WebhookEvent

log = logging.getLogger(__name__)

# The largest amount a money column holds (a signed 64-bit integer).
MAX_AMOUNT_MINOR = 2**63 - 1
# A transaction in these states has credited its pay link (a reversal refunds it; it is not re-credited).
CREDITED = (PaymentTransaction.Status.CONFIRMED, PaymentTransaction.Status.REVERSED)


def _not_payable(invoice):
    message = f"Only issued invoices take payments (this one is {invoice.get_status_display().lower()})."
    return PaymentsError("Not payable.", code=PaymentsErrorCode.NOT_PAYABLE, fields={"invoice": [message]})


def intent_create(*, invoice, actor, email, gateway_name=None, callback_url=""):
    """A pay link: the intent is committed INITIATED, the gateway is asked for a checkout with no
    transaction open (a slow gateway holds no lock and no connection in a transaction), then the
    answer is recorded: PENDING with its checkout URL, or FAILED when the gateway refused."""
    gateway_name = gateway_name or settings.PAYMENTS_DEFAULT_GATEWAY
    gateway = get_gateway(gateway_name)
    if gateway is None:
        raise PaymentsError(
            "Unknown gateway.",
            code=PaymentsErrorCode.UNKNOWN_GATEWAY,
            fields={"gateway": [f"No gateway “{gateway_name}”."]},
        )
    with transaction.atomic():
        # Under the invoice's lock, so the amount is its balance and a concurrent void waits.
        invoice = type(invoice).objects.select_for_update(of=("self",)).select_related("school").get(pk=invoice.pk)
        if not invoice.is_payable:
            raise _not_payable(invoice)
        if not invoice.has_balance_to_pay:
            raise PaymentsError(
                "Nothing to pay.", code=PaymentsErrorCode.NOTHING_DUE, fields={"invoice": ["This invoice is paid."]}
            )
        intent = PaymentIntent.objects.create(
            school=invoice.school,
            invoice=invoice,
            gateway=gateway.name,
            amount_minor=invoice.balance_minor,
            currency=invoice.currency,
            reference=f"CP-{pysecrets.token_hex(10).upper()}",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        changes = {"invoice": invoice.number, "amount_minor": intent.amount_minor, "gateway": gateway.name}
        audit(school=invoice.school, actor=actor, action="payment_intent.created", target=intent, changes=changes)
    try:
        checkout_url = gateway.initialize(intent, email=email, callback_url=callback_url)
    except GatewayError as exc:
        _intent_failed(intent, actor, str(exc))
        raise PaymentsError(str(exc), code=PaymentsErrorCode.GATEWAY_UNAVAILABLE) from exc
    except SecretNotFound as exc:
        # The operator's problem, not the payer's: the secret's name goes to the log only.
        log.error("%s gateway has no key configured: %s", gateway.name, exc)
        _intent_failed(intent, actor, "no key configured")
        message = "Online payment is not available yet; try again later."
        raise PaymentsError(message, code=PaymentsErrorCode.GATEWAY_UNAVAILABLE) from exc
    # Only an intent still INITIATED moves on: a payment already credited to it stays SUCCEEDED.
    pending = PaymentIntent.objects.filter(pk=intent.pk, status=PaymentIntent.Status.INITIATED).update(
        status=PaymentIntent.Status.PENDING, checkout_url=checkout_url
    )
    if pending:
        intent.status, intent.checkout_url = PaymentIntent.Status.PENDING, checkout_url
    else:
        intent.refresh_from_db(fields=["status", "checkout_url"])
    return intent


@transaction.atomic
def _intent_failed(intent, actor, problem):
    PaymentIntent.objects.filter(pk=intent.pk, status=PaymentIntent.Status.INITIATED).update(
        status=PaymentIntent.Status.FAILED
    )
    changes = {"problem": problem[:300]}
    audit(school=intent.school, actor=actor, action="payment_intent.failed", target=intent, changes=changes)


@unscoped(reason="an operator sweep across every school's pay links")
def intents_abandon_stale(*, now=None, batch_size=1000):
    """Pay links left unpaid past PAYMENT_INTENT_TTL_HOURS become ABANDONED, so the invoice page and
    reports stop showing them as in progress. Only the status changes: a webhook that arrives late
    for one still credits (the money was taken), and the intent then reads SUCCEEDED."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PAYMENT_INTENT_TTL_HOURS)
    stale = PaymentIntent.objects.filter(
        status__in=[PaymentIntent.Status.INITIATED, PaymentIntent.Status.PENDING], created_at__lt=cutoff
    )
    total = 0
    while True:
        ids = list(stale.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        # Re-check the status in the UPDATE: a webhook may have settled one since the read.
        total += stale.filter(pk__in=ids).update(status=PaymentIntent.Status.ABANDONED)


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


def _duplicate_reference(existing, reference):
    """A slip already recorded in this school: name what it was recorded as, so the bursar can find it."""
    receipt = Receipt.objects.for_school(existing.school_id).filter(transaction=existing).first()
    where = f"receipt {receipt.number}" if receipt else f"payment #{existing.pk}"
    message = (
        f"{existing.get_kind_display()} reference “{reference}” is already recorded on {where} "
        f"(invoice {existing.invoice.number or existing.invoice_id})."
    )
    detail = "This reference is already used in this school: record a slip once."
    error = PaymentsError(message, code=PaymentsErrorCode.DUPLICATE_REFERENCE, fields={"reference": [detail]})
    error.status_code = 409
    return error


@transaction.atomic
def transaction_record(
    *,
    invoice,
    kind,
    amount_minor,
    currency,
    actor,
    intent=None,
    gateway="",
    provider_reference=None,
    flag_reason="",
    note="",
):
    """A confirmed payment (or, with `flag_reason`, one held for review and not credited).
    Outside references are unique per school: a gateway's charge delivered again returns the
    transaction already recorded (and credits nothing); a counter slip entered twice is refused (409)."""
    if amount_minor <= 0:
        raise PaymentsError(
            "Amount must be positive.",
            code=PaymentsErrorCode.AMOUNT_NOT_POSITIVE,
            fields={"amount_minor": ["Enter an amount above zero."]},
        )
    # A flagged record credits nothing and keeps money a gateway already took (on an invoice voided
    # since the pay link was made) in view; a credit needs an invoice that takes payments, read
    # under its row lock so a concurrent void cannot slip in between.
    if not flag_reason:
        current = type(invoice).objects.select_for_update().only("status").get(pk=invoice.pk)
        if not current.is_payable:
            raise _not_payable(current)
    status = PaymentTransaction.Status.FLAGGED if flag_reason else PaymentTransaction.Status.CONFIRMED
    try:
        with transaction.atomic():
            tx = PaymentTransaction.objects.create(
                school=invoice.school,
                invoice=invoice,
                intent=intent,
                kind=kind,
                gateway=gateway,
                provider_reference=provider_reference,
                amount_minor=amount_minor,
                currency=currency,
                status=status,
                note=(flag_reason or note)[:300],
                confirmed_at=None if flag_reason else timezone.now(),
                recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        same_school = PaymentTransaction.objects.for_school(invoice.school).select_related("invoice")
        existing = None
        if provider_reference is not None:
            existing = same_school.filter(gateway=gateway, provider_reference=provider_reference).first()
        if existing is None and intent is not None:
            existing = same_school.filter(intent=intent, status__in=CREDITED).first()
        if existing is None:
            raise
        if kind != PaymentTransaction.Kind.GATEWAY:
            raise _duplicate_reference(existing, provider_reference) from None
        return existing
    if intent is not None:
        intent.status = PaymentIntent.Status.FAILED if flag_reason else PaymentIntent.Status.SUCCEEDED
        intent.save(update_fields=["status"])
    audit(
        school=invoice.school,
        actor=actor,
        action="payment.flagged" if flag_reason else "payment.confirmed",
        target=tx,
        changes={"invoice": invoice.number, "amount_minor": amount_minor, "kind": kind, "reason": flag_reason},
    )
    if not flag_reason:
        payment_confirmed_emit(tx)
    return tx


@transaction.atomic
def receipt_issue(*, school, transaction_id):
    """One receipt per confirmed transaction, numbered from the school's gapless counter. A
    transaction outside `school` (the event's) gets none: its own school's event issues it."""
    existing = Receipt.objects.for_school(school).filter(transaction_id=transaction_id).first()
    if existing:
        return existing
    tx = PaymentTransaction.objects.for_school(school).select_related("school").filter(pk=transaction_id).first()
    if tx is None:
        log.warning("no receipt for transaction %s: not a transaction of school %s", transaction_id, school.pk)
        return None
    if tx.status != PaymentTransaction.Status.CONFIRMED:
        return None
    school = tx.school
    year = school.local_today().year
    number = f"RCT-{year}-{next_value(school=school, key=f'receipt-{year}'):06d}"
    receipt = Receipt.objects.create(
        school=school, transaction=tx, number=number, amount_minor=tx.amount_minor, currency=tx.currency
    )
    audit(school=school, actor=None, action="receipt.issued", target=receipt, changes={"transaction_id": tx.pk})
    return receipt


@transaction.atomic
def transaction_reverse(*, transaction_id, school, actor, reason):
    """A bursar undoes a confirmed payment (bounced transfer, refund): the receipt is voided and
    `payment.reversed` lets fees restore the invoice's balance."""
    tx = PaymentTransaction.objects.for_school(school).select_for_update().filter(pk=transaction_id).first()
    if tx is None:
        raise PaymentsError(
            "Not found.", code=PaymentsErrorCode.NOT_FOUND, fields={"transaction": ["Not found in this school."]}
        )
    if not (reason or "").strip():
        raise PaymentsError(
            "Give a reason.",
            code=PaymentsErrorCode.REASON_REQUIRED,
            fields={"reason": ["Say why the payment is reversed."]},
        )
    if tx.status != PaymentTransaction.Status.CONFIRMED:
        message = f"Only confirmed payments can be reversed (this one is {tx.status})."
        raise PaymentsError("Not reversible.", code=PaymentsErrorCode.NOT_REVERSIBLE, fields={"transaction": [message]})
    tx.status = PaymentTransaction.Status.REVERSED
    tx.note = reason.strip()[:300]
    tx.reversed_at = timezone.now()
    tx.save(update_fields=["status", "note", "reversed_at"])
    Receipt.objects.filter(transaction=tx).update(is_void=True)
    audit(
        school=school,
        actor=actor,
        action="payment.reversed",
        target=tx,
        changes={"amount_minor": tx.amount_minor, "reason": tx.note, "invoice_id": tx.invoice_id},
    )
    emit(
        school=school,
        event_type="payment.reversed",
        dedupe_key=f"payment.reversed:{tx.pk}",
        payload={"transaction_id": tx.pk, "invoice_id": tx.invoice_id, "amount_minor": tx.amount_minor},
    )
    return tx


@transaction.atomic
def receipt_render_pdf(*, receipt_id, force=False):
    """Store the receipt's PDF once, and again when the stored one is stale (rendered before the
    payment was reversed, so without its VOID stamp) or when `force`d. The row lock keeps the
    handler and a first download from storing two files."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from classpoint.files import new_key

    from .documents import pdf_filename, pdf_is_current, render_receipt_pdf

    receipt = (
        Receipt.objects.select_for_update(of=("self",))
        .select_related(
            "school__profile",
            "transaction__invoice__student",
            "transaction__invoice__class_group",
            "transaction__invoice__term__session",
            "transaction__intent",
            "transaction__recorded_by",
        )
        .get(pk=receipt_id)
    )
    if pdf_is_current(receipt) and not force:
        return receipt
    previous = receipt.pdf_key
    name = new_key(f"receipts/{receipt.school_id}", pdf_filename(receipt))
    # Should this transaction roll back, the file stays behind unreferenced; the row never points
    # at a file that is not there.
    receipt.pdf_key = default_storage.save(name, ContentFile(render_receipt_pdf(receipt)))
    receipt.save(update_fields=["pdf_key"])
    if previous and previous != receipt.pdf_key:
        transaction.on_commit(lambda: default_storage.delete(previous))
    audit(
        school=receipt.school,
        actor=None,
        action="receipt.pdf_rendered",
        target=receipt,
        changes={"void": receipt.is_void, "replaced": bool(previous)},
    )
    return receipt


def receipt_pdf_link(*, receipt):
    """(url, expires_at) of the receipt's current PDF, rendering and storing it first when it is
    missing or stale (a reversal since): a download must not wait for the outbox handler."""
    if not pdf_is_current(receipt):
        receipt = receipt_render_pdf(receipt_id=receipt.pk)
    return download_url(receipt.pdf_key, filename=pdf_filename(receipt))


@transaction.atomic
def receipt_request_message(*, receipt_id):
    """Ask messaging to send PAYMENT_RECEIPT to the student's guardians: once per receipt (the
    dedupe key), never for a receipt already void, and not at all for a student with no guardian."""
    from classpoint.messages import request_message

    from .documents import balance_after

    receipt = Receipt.objects.select_related("school", "transaction__invoice__student").get(pk=receipt_id)
    tx, school = receipt.transaction, receipt.school
    invoice, student = tx.invoice, tx.invoice.student
    if receipt.is_void:
        return None
    guardian_ids = list(student.guardian_links.values_list("guardian_id", flat=True))
    if not guardian_ids:
        return None
    balance, _credit = balance_after(tx)
    paid_at = timezone.localtime(tx.confirmed_at or receipt.issued_at, school.tzinfo)
    context = {
        "school_name": school.name,
        "student_name": student.full_name,
        "invoice_number": invoice.number or "",
        "receipt_number": receipt.number,
        "amount": format_money(receipt.amount_minor, receipt.currency),
        "balance": format_money(balance, receipt.currency),
        "paid_at": f"{paid_at.day} {paid_at:%b %Y, %H:%M}",
    }
    return request_message(
        school=school,
        template="PAYMENT_RECEIPT",
        guardian_ids=guardian_ids,
        context=context,
        dedupe_key=f"receipt:{receipt.pk}",
        student_id=student.pk,
        reason="payment.confirmed",
    )
