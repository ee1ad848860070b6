"""Flagged payments: money a gateway took that was recorded but not credited, because something
disagreed (the amount or currency against the pay link, the gateway's own verification, an invoice
voided since the link was made). A bursar decides each one:

- accept: the transaction is confirmed and `payment.confirmed` does the rest, as for any payment
  (fees allocates it, money beyond the balance becoming the family's credit; the receipt follows);
- close with a reason: nothing is credited and the payer is refunded outside Classpoint.

Decided once: the transaction's row lock and its re-read status make a second decision, even one
made at the same moment, an `already_resolved` error that says what the first one was."""

from django.db import transaction
from django.utils import timezone

from classpoint.audit import audit

from .errors import PaymentsError, PaymentsErrorCode
from .events import payment_confirmed_emit
from .models import PaymentIntent, PaymentTransaction

# A pay link credited by these (a reversal refunds a credit; it is never credited again).
CREDITED = (PaymentTransaction.Status.CONFIRMED, PaymentTransaction.Status.REVERSED)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _flagged_for_update(*, school, transaction_id):
    """The school's transaction under its row lock, still flagged; otherwise an error naming what
    became of it. Locked before anything else, so two decisions queue here and the second reads
    the first one's outcome."""
    tx = PaymentTransaction.objects.for_school(school).select_for_update().filter(pk=transaction_id).first()
    if tx is None:
        error = PaymentsError(
            "Not found.", code=PaymentsErrorCode.NOT_FOUND, fields={"transaction": ["Not found in this school."]}
        )
        error.status_code = 404
        raise error
    if tx.status == PaymentTransaction.Status.FLAGGED:
        return tx
    if tx.resolved_at is not None:
        who = "someone"
        if tx.resolved_by_id is not None:
            who = tx.resolved_by.get_full_name() or tx.resolved_by.get_username()
        when = timezone.localtime(tx.resolved_at, school.tzinfo)
        outcome = "closed" if tx.status == PaymentTransaction.Status.CLOSED else "accepted"
        detail = f"This payment was already {outcome} by {who} at {when:%H:%M} on {when.day} {when:%b %Y}."
        error = PaymentsError(
            "Already resolved.", code=PaymentsErrorCode.ALREADY_RESOLVED, fields={"transaction": [detail]}
        )
        error.status_code = 409
        raise error
    detail = f"Only flagged payments are resolved here (this one is {tx.get_status_display().lower()})."
    raise PaymentsError("Not flagged.", code=PaymentsErrorCode.NOT_FLAGGED, fields={"transaction": [detail]})


@transaction.atomic
def transaction_flagged_accept(*, school, transaction_id, actor, note=""):
    """Credit a flagged payment as received: its amount (what the gateway took, not what the pay
    link asked) goes to its invoice through `payment.confirmed`, the one path every credit takes.
    Refused, changing nothing, when the invoice no longer takes payments, when the currency is not
    the invoice's, or when the pay link was credited by another charge since: close it instead."""
    tx = _flagged_for_update(school=school, transaction_id=transaction_id)
    intent = None
    if tx.intent_id is not None:
        # The pay link's lock, as the webhook takes it: a charge settling it now waits for this decision.
        intent = PaymentIntent.objects.for_school(school).select_for_update().get(pk=tx.intent_id)
        credited = (
            PaymentTransaction.objects.for_school(school).filter(intent=intent, status__in=CREDITED).exclude(pk=tx.pk)
        ).first()
        if credited is not None:
            detail = (
                f"Pay link {intent.reference} was already credited by payment #{credited.pk}: "
                "close this one and refund the payer."
            )
            raise PaymentsError(
                "Already credited.", code=PaymentsErrorCode.ALREADY_CREDITED, fields={"transaction": [detail]}
            )
    # Under the invoice's lock, as every credit reads it, so a concurrent void cannot slip in between.
    invoice = type(tx.invoice).objects.for_school(school).select_for_update().get(pk=tx.invoice_id)
    if not invoice.is_payable:
        detail = (
            f"Invoice {invoice.number or invoice.pk} is {invoice.get_status_display().lower()}, so it takes no "
            "payment: close this one and refund the payer instead."
        )
        raise PaymentsError("Not payable.", code=PaymentsErrorCode.NOT_PAYABLE, fields={"transaction": [detail]})
    if tx.currency != invoice.currency:
        detail = (
            f"The payment is in {tx.currency} and the invoice in {invoice.currency}: "
            "close this one and refund the payer instead."
        )
        raise PaymentsError(
            "Currency mismatch.", code=PaymentsErrorCode.CURRENCY_MISMATCH, fields={"transaction": [detail]}
        )
    now = timezone.now()
    tx.status = PaymentTransaction.Status.CONFIRMED
    tx.confirmed_at = now
    tx.resolved_at = now
    tx.resolved_by = _user(actor)
    tx.resolution_note = (note or "").strip()[:300]
    tx.save(update_fields=["status", "confirmed_at", "resolved_at", "resolved_by", "resolution_note"])
    if intent is not None:
        intent.status = PaymentIntent.Status.SUCCEEDED
        intent.save(update_fields=["status"])
    audit(
        school=school,
        actor=actor,
        action="payment.flagged_accepted",
        target=tx,
        changes={
            "invoice": invoice.number,
            "amount_minor": tx.amount_minor,
            "expected_minor": intent.amount_minor if intent else None,
            "flag_reason": tx.note,
            "note": tx.resolution_note,
        },
    )
    payment_confirmed_emit(tx)
    return tx


@transaction.atomic
def transaction_flagged_close(*, school, transaction_id, actor, reason):
    """Close a flagged payment without crediting it (refunded to the payer, a test charge, a
    duplicate): it leaves the queue, credits nothing, and keeps why it was flagged and why closed."""
    tx = _flagged_for_update(school=school, transaction_id=transaction_id)
    reason = (reason or "").strip()
    if not reason:
        detail = "Say why the payment is closed (e.g. refunded)."
        raise PaymentsError("Give a reason.", code=PaymentsErrorCode.REASON_REQUIRED, fields={"reason": [detail]})
    tx.status = PaymentTransaction.Status.CLOSED
    tx.resolved_at = timezone.now()
    tx.resolved_by = _user(actor)
    tx.resolution_note = reason[:300]
    tx.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    audit(
        school=school,
        actor=actor,
        action="payment.flagged_closed",
        target=tx,
        changes={
            "invoice_id": tx.invoice_id,
            "amount_minor": tx.amount_minor,
            "flag_reason": tx.note,
            "reason": tx.resolution_note,
        },
    )
    return tx
