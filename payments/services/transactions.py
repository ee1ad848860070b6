"""Payments recorded against an invoice (a gateway's charge, a counter slip) and reversed."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.outbox import emit

from ..errors import PaymentsError, PaymentsErrorCode
from ..events import payment_confirmed_emit
from ..models import PaymentIntent, PaymentTransaction, Receipt
from ._base import CREDITED, not_payable


def _duplicate_reference(existing, reference):
    """A slip already recorded in this school: name what it was recorded as, so the bursar can find it."""
    receipt = Receipt.objects.for_school(existing.school_id).filter(transaction=existing).first()
    where = (
        _("receipt %(number)s") % {"number": receipt.number} if receipt else _("payment #%(id)s") % {"id": existing.pk}
    )
    message = _("%(kind)s reference “%(reference)s” is already recorded on %(where)s (invoice %(invoice)s).") % {
        "kind": existing.get_kind_display(),
        "reference": reference,
        "where": where,
        "invoice": existing.invoice.number or existing.invoice_id,
    }
    detail = _("This reference is already used in this school: record a slip once.")
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
            _("Amount must be positive."),
            code=PaymentsErrorCode.AMOUNT_NOT_POSITIVE,
            fields={"amount_minor": [_("Enter an amount above zero.")]},
        )
    # A flagged record credits nothing and keeps money a gateway already took (on an invoice voided
    # since the pay link was made) in view; a credit needs an invoice that takes payments, read
    # under its row lock so a concurrent void cannot slip in between.
    if not flag_reason:
        current = type(invoice).objects.select_for_update().only("status").get(pk=invoice.pk)
        if not current.is_payable:
            raise not_payable(current)
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
def transaction_reverse(*, transaction_id, school, actor, reason):
    """A bursar undoes a confirmed payment (bounced transfer, refund): the receipt is voided and
    `payment.reversed` lets fees restore the invoice's balance."""
    tx = PaymentTransaction.objects.for_school(school).select_for_update().filter(pk=transaction_id).first()
    if tx is None:
        raise PaymentsError(
            _("Not found."), code=PaymentsErrorCode.NOT_FOUND, fields={"transaction": [_("Not found in this school.")]}
        )
    if not (reason or "").strip():
        raise PaymentsError(
            _("Give a reason."),
            code=PaymentsErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Say why the payment is reversed.")]},
        )
    if tx.status != PaymentTransaction.Status.CONFIRMED:
        message = _("Only confirmed payments can be reversed (this one is %(status)s).") % {"status": tx.status}
        raise PaymentsError(
            _("Not reversible."), code=PaymentsErrorCode.NOT_REVERSIBLE, fields={"transaction": [message]}
        )
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
