"""Every write to payments. Crediting is guarded three times: the webhook event is stored once,
the gateway reference is unique per transaction, and fees allocates once per transaction."""

import logging
import secrets as pysecrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.outbox import emit

from .errors import PaymentsError
from .gateways import GatewayError, get_gateway
from .models import PaymentIntent, PaymentTransaction, Receipt, WebhookEvent

log = logging.getLogger(__name__)


@transaction.atomic
def intent_create(*, invoice, actor, email, gateway_name=None, callback_url=""):
    if invoice.status not in ("issued", "partially_paid"):
        raise PaymentsError(
            "Not payable.", code="not_payable", fields={"invoice": ["Only issued invoices can be paid."]}
        )
    if invoice.balance_minor <= 0:
        raise PaymentsError("Nothing to pay.", code="nothing_due", fields={"invoice": ["This invoice is paid."]})
    gateway = get_gateway(gateway_name or settings.PAYMENTS_DEFAULT_GATEWAY)
    if gateway is None:
        raise PaymentsError("Unknown gateway.", fields={"gateway": [f"No gateway “{gateway_name}”."]})
    intent = PaymentIntent.objects.create(
        school=invoice.school, invoice=invoice, gateway=gateway.name, amount_minor=invoice.balance_minor,
        currency=invoice.currency, reference=f"CP-{pysecrets.token_hex(10).upper()}",
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    try:
        intent.checkout_url = gateway.initialize(intent, email=email, callback_url=callback_url)
    except GatewayError as exc:
        raise PaymentsError(str(exc), code="gateway_unavailable") from exc
    intent.status = PaymentIntent.Status.PENDING
    intent.save(update_fields=["checkout_url", "status"])
    changes = {"invoice": invoice.number, "amount_minor": intent.amount_minor, "gateway": gateway.name}
    audit(school=invoice.school, actor=actor, action="payment_intent.created", target=intent, changes=changes)
    return intent


def intents_abandon_stale(*, now=None, batch_size=1000):
    """Pay links left unpaid past PAYMENT_INTENT_TTL_HOURS become ABANDONED, so the invoice page and
    reports stop showing them as in progress. Only the status changes: a webhook that arrives late
    for one still credits (the money was taken), and the intent then reads SUCCEEDED."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PAYMENT_INTENT_TTL_HOURS)
    stale = PaymentIntent.objects.filter(  # unscoped: an operator sweep across every school
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
    intent = PaymentIntent.objects.filter(reference=data.reference).select_related("school").first()
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                gateway=gateway.name, event_id=data.event_id, reference=data.reference, payload=payload
            )
            emit(school=intent.school if intent else None, event_type="payments.webhook_received",
                 payload={"webhook_event_id": event.pk})  # fmt: skip
    except IntegrityError:
        return WebhookEvent.objects.get(gateway=gateway.name, event_id=data.event_id), False
    return event, True


@transaction.atomic
def webhook_process(*, webhook_event_id):
    """Credit what a stored webhook reports, if it checks out against our intent and the gateway."""
    event = WebhookEvent.objects.get(pk=webhook_event_id)
    gateway = get_gateway(event.gateway)
    data = gateway.parse_event(event.payload)
    if data.kind != "charge.success":
        return None
    intent = PaymentIntent.objects.select_for_update().filter(reference=data.reference).first()
    if intent is None:
        log.warning("webhook %s names unknown reference %s: nothing credited", event.pk, data.reference)
        return None
    flagged = []
    if data.amount_minor != intent.amount_minor or data.currency != intent.currency:
        flagged.append(
            f"webhook says {data.amount_minor} {data.currency}, intent is {intent.amount_minor} {intent.currency}"
        )
    facts = gateway.verify(data.reference)
    if facts is not None and (facts["status"] != "success" or facts["amount_minor"] != intent.amount_minor
                              or facts["currency"] != intent.currency):  # fmt: skip
        flagged.append(f"gateway verification says {facts}")
    return transaction_record(
        invoice=intent.invoice, intent=intent, kind=PaymentTransaction.Kind.GATEWAY, gateway=gateway.name,
        provider_reference=data.provider_reference, amount_minor=data.amount_minor, currency=data.currency,
        flag_reason="; ".join(flagged), actor=None,
    )  # fmt: skip


@transaction.atomic
def transaction_record(*, invoice, kind, amount_minor, currency, actor, intent=None, gateway="",
                       provider_reference=None, flag_reason="", note=""):  # fmt: skip
    """A confirmed payment (or, with `flag_reason`, one held for review and not credited).
    A second call with the same gateway reference returns the first transaction and credits nothing."""
    if amount_minor <= 0:
        raise PaymentsError("Amount must be positive.", fields={"amount_minor": ["Enter an amount above zero."]})
    status = PaymentTransaction.Status.FLAGGED if flag_reason else PaymentTransaction.Status.CONFIRMED
    try:
        with transaction.atomic():
            tx = PaymentTransaction.objects.create(
                school=invoice.school, invoice=invoice, intent=intent, kind=kind, gateway=gateway,
                provider_reference=provider_reference, amount_minor=amount_minor, currency=currency, status=status,
                note=(flag_reason or note)[:300], confirmed_at=None if flag_reason else timezone.now(),
                recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )  # fmt: skip
    except IntegrityError:
        return PaymentTransaction.objects.get(gateway=gateway, provider_reference=provider_reference)
    if intent is not None:
        intent.status = PaymentIntent.Status.FAILED if flag_reason else PaymentIntent.Status.SUCCEEDED
        intent.save(update_fields=["status"])
    audit(school=invoice.school, actor=actor, action="payment.flagged" if flag_reason else "payment.confirmed",
          target=tx, changes={"invoice": invoice.number, "amount_minor": amount_minor, "kind": kind,
                              "reason": flag_reason})  # fmt: skip
    if not flag_reason:
        emit(school=invoice.school, event_type="payment.confirmed", dedupe_key=f"payment.confirmed:{tx.pk}",
             payload={"transaction_id": tx.pk, "invoice_id": invoice.pk, "amount_minor": amount_minor,
                      "currency": currency})  # fmt: skip
    return tx


@transaction.atomic
def receipt_issue(*, transaction_id):
    """One receipt per confirmed transaction, numbered from the school's gapless counter."""
    existing = Receipt.objects.filter(transaction_id=transaction_id).first()
    if existing:
        return existing
    tx = PaymentTransaction.objects.select_related("school").get(pk=transaction_id)
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
        raise PaymentsError("Not found.", code="not_found", fields={"transaction": ["Not found in this school."]})
    if not (reason or "").strip():
        raise PaymentsError("Give a reason.", fields={"reason": ["Say why the payment is reversed."]})
    if tx.status != PaymentTransaction.Status.CONFIRMED:
        message = f"Only confirmed payments can be reversed (this one is {tx.status})."
        raise PaymentsError("Not reversible.", code="not_reversible", fields={"transaction": [message]})
    tx.status = PaymentTransaction.Status.REVERSED
    tx.note = reason.strip()[:300]
    tx.reversed_at = timezone.now()
    tx.save(update_fields=["status", "note", "reversed_at"])
    Receipt.objects.filter(transaction=tx).update(is_void=True)
    audit(school=school, actor=actor, action="payment.reversed", target=tx,
          changes={"amount_minor": tx.amount_minor, "reason": tx.note, "invoice_id": tx.invoice_id})  # fmt: skip
    emit(school=school, event_type="payment.reversed", dedupe_key=f"payment.reversed:{tx.pk}",
         payload={"transaction_id": tx.pk, "invoice_id": tx.invoice_id, "amount_minor": tx.amount_minor})  # fmt: skip
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
        .select_related("school__profile", "transaction__invoice__student", "transaction__invoice__class_group",
                        "transaction__invoice__term__session", "transaction__intent", "transaction__recorded_by")
        .get(pk=receipt_id)
    )  # fmt: skip
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
    audit(school=receipt.school, actor=None, action="receipt.pdf_rendered", target=receipt,
          changes={"void": receipt.is_void, "replaced": bool(previous)})  # fmt: skip
    return receipt


@transaction.atomic
def receipt_request_message(*, receipt_id):
    """Ask messaging to send PAYMENT_RECEIPT to the student's guardians: once per receipt (the
    dedupe key), never for a receipt already void, and not at all for a student with no guardian."""
    from classpoint.messages import request_message
    from fees.money import format_money

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
        "school_name": school.name, "student_name": student.full_name, "invoice_number": invoice.number or "",
        "receipt_number": receipt.number, "amount": format_money(receipt.amount_minor, receipt.currency),
        "balance": format_money(balance, receipt.currency), "paid_at": f"{paid_at.day} {paid_at:%b %Y, %H:%M}",
    }  # fmt: skip
    return request_message(school=school, template="PAYMENT_RECEIPT", guardian_ids=guardian_ids, context=context,
                           dedupe_key=f"receipt:{receipt.pk}", student_id=student.pk,
                           reason="payment.confirmed")  # fmt: skip
