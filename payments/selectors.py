"""Reads for payments' pages, API and template tags: an invoice's payments as staff and guardians
see them, its pay links and secure links, the proof and flagged-payment queues, the API's lists.
Every query starts from the school."""

from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from classpoint.days import day_bounds, local_day
from fees import selectors as fees_selectors

from .models import PaymentIntent, PaymentProof, PaymentTransaction, Receipt
from .proofs import guardian_link


def invoice_payments(*, school, invoice):
    """What the invoice page's payments section shows: the invoice's transactions newest first,
    each marked with what the outbox has still to do for it (a confirmed payment is credited, its
    Allocation in fees, and receipted a moment after it is recorded), the money being applied, whether
    anything is still settling (the section then polls itself), and the latest pay links."""
    transactions = list(
        PaymentTransaction.objects.for_school(school)
        .filter(invoice=invoice)
        .select_related("receipt", "proof")
        .order_by("-created_at")
    )
    confirmed = [tx.pk for tx in transactions if tx.status == PaymentTransaction.Status.CONFIRMED]
    applied = fees_selectors.transactions_applied(school=school, transaction_ids=confirmed)
    for tx in transactions:
        tx.being_applied = tx.pk in confirmed and tx.pk not in applied
        tx.receipt_due = tx.pk in confirmed and not hasattr(tx, "receipt")
    return {
        "transactions": transactions,
        "applying_minor": sum(tx.amount_minor for tx in transactions if tx.being_applied),
        "settling": any(tx.being_applied or tx.receipt_due for tx in transactions),
        "intents": invoice_intents(school=school, invoice=invoice),
    }


def invoice_intents(*, school, invoice, limit=5):
    """The invoice's latest pay links, newest first."""
    return PaymentIntent.objects.for_school(school).filter(invoice=invoice).order_by("-created_at")[:limit]


def invoice_latest_pay_link(*, school, invoice):
    """The invoice's newest intent that has a checkout page (its pay-now link), or None."""
    intents = PaymentIntent.objects.for_school(school).filter(invoice=invoice).exclude(checkout_url="")
    return intents.order_by("-created_at", "-id").first()


def invoice_transactions(*, school, invoice):
    """The invoice's payments in every status, newest first. `invoice` may be its id."""
    return PaymentTransaction.objects.for_school(school).filter(invoice=invoice).order_by("-created_at", "-id")


def invoice_guardian_links(*, invoice):
    """(guardian, secure link) for each guardian of the invoice's student: the link that lets them
    see and pay this invoice without an account."""
    links = invoice.student.guardian_links.select_related("guardian")
    return [(link.guardian, guardian_link(invoice=invoice, guardian=link.guardian)) for link in links]


def invoice_confirmed_payments(*, school, invoice):
    """The invoice's confirmed payments with their receipts, latest first (the guardian's page)."""
    return (
        PaymentTransaction.objects.for_school(school)
        .filter(invoice=invoice, status=PaymentTransaction.Status.CONFIRMED)
        .select_related("receipt")
        .order_by("-confirmed_at")
    )


def invoice_proofs(*, school, invoice, exclude=None, limit=10):
    """Transfer proofs sent for the invoice, newest first (`exclude`: the one being looked at)."""
    proofs = PaymentProof.objects.for_school(school).filter(invoice=invoice)
    if exclude is not None:
        proofs = proofs.exclude(pk=exclude.pk)
    return proofs.order_by("-created_at")[:limit]


def invoice_pending_proof(*, school, invoice):
    """The invoice's proof waiting for review, if any."""
    return PaymentProof.objects.for_school(school).filter(invoice=invoice, status=PaymentProof.Status.PENDING).first()


def proof_of_school(*, school, proof_id):
    """One proof of `school` with what its review page shows, or None."""
    return (
        PaymentProof.objects.for_school(school)
        .select_related(
            "invoice__student",
            "invoice__class_group",
            "transaction__receipt",
            "guardian",
            "submitted_by",
            "reviewed_by",
        )
        .filter(pk=proof_id)
        .first()
    )


def proofs_queue(*, school, status):
    """Proofs in one status: waiting ones oldest first (first come, first reviewed), decided ones
    newest first."""
    proofs = PaymentProof.objects.for_school(school).filter(status=status)
    proofs = proofs.select_related("invoice__student", "invoice__class_group", "reviewed_by")
    if status == PaymentProof.Status.PENDING:
        return proofs.order_by("created_at", "id")
    return proofs.order_by("-reviewed_at", "-id")


def proofs_pending_count(*, school):
    return PaymentProof.objects.for_school(school).filter(status=PaymentProof.Status.PENDING).count()


# The flagged queue's tabs: waiting for a decision, and the two decisions.
FLAGGED_STATES = {"open": _("To resolve"), "accepted": _("Accepted"), "closed": _("Closed")}


def flagged_queue(*, school, state="open"):
    """Flagged payments in one state with what the queue shows (invoice, student, the pay link's
    amount, the receipt once accepted): waiting ones oldest first (first taken, first resolved),
    decided ones newest decision first. An accepted one stays accepted if reversed later."""
    transactions = _flagged_cards(school)
    if state == "open":
        return transactions.filter(status=PaymentTransaction.Status.FLAGGED).order_by("created_at", "id")
    if state == "closed":
        statuses = [PaymentTransaction.Status.CLOSED]
    else:
        statuses = [PaymentTransaction.Status.CONFIRMED, PaymentTransaction.Status.REVERSED]
    decided = transactions.filter(resolved_at__isnull=False, status__in=statuses)
    return decided.order_by("-resolved_at", "-id")


def flagged_of_school(*, school, transaction_id):
    """One transaction of `school` that is or was flagged, with what its card shows, or None."""
    was_flagged = Q(status=PaymentTransaction.Status.FLAGGED) | Q(resolved_at__isnull=False)
    return _flagged_cards(school).filter(was_flagged, pk=transaction_id).first()


def _flagged_cards(school):
    return PaymentTransaction.objects.for_school(school).select_related(
        "invoice__student", "invoice__class_group", "intent", "resolved_by", "receipt"
    )


def flagged_count(*, school):
    """Flagged payments waiting for a decision (the dashboard's action rail and the queue's heading)."""
    return PaymentTransaction.objects.for_school(school).filter(status=PaymentTransaction.Status.FLAGGED).count()


# Payments that came in, whether reversed since or not.
_CONFIRMED = (PaymentTransaction.Status.CONFIRMED, PaymentTransaction.Status.REVERSED)


def transactions_collected_by_day(*, school, start, end):
    """{day: (collected_minor, payments)} for the school-local days from `start` to `end` that saw
    money move: payments confirmed that day (their `confirmed_at`) less payments reversed that day
    (their `reversed_at`), and the number confirmed that day (a payment reversed later still counts
    the day it came in). Days without either are left out."""
    since, until = day_bounds(school, start, end)
    found = defaultdict(lambda: [0, 0])
    confirmed = (
        PaymentTransaction.objects.for_school(school)
        .filter(confirmed_at__gte=since, confirmed_at__lt=until, status__in=_CONFIRMED)
        .annotate(day=local_day("confirmed_at", school))
        .values("day")
        .annotate(amount=Sum("amount_minor"), n=Count("id"))
        .order_by()
    )
    for row in confirmed:
        found[row["day"]][0] += row["amount"]
        found[row["day"]][1] += row["n"]
    reversed_ = (
        PaymentTransaction.objects.for_school(school)
        .filter(reversed_at__gte=since, reversed_at__lt=until)
        .annotate(day=local_day("reversed_at", school))
        .values("day")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    for row in reversed_:
        found[row["day"]][0] -= row["amount"] or 0
    return {day: tuple(values) for day, values in found.items()}


def intents_list(*, school):
    return PaymentIntent.objects.for_school(school).order_by("-created_at", "-id")


def transactions_list(*, school):
    return PaymentTransaction.objects.for_school(school).select_related("receipt").order_by("-created_at", "-id")


def receipts_list(*, school):
    return Receipt.objects.for_school(school).order_by("-issued_at", "-id")
