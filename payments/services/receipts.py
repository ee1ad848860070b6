"""Receipts: one per confirmed payment, its PDF, and the PAYMENT_RECEIPT message to the family."""

import logging

from django.db import transaction
from django.utils import timezone

from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.files import download_url

from ..documents import pdf_filename, pdf_is_current
from ..models import PaymentTransaction, Receipt

log = logging.getLogger(__name__)


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
def receipt_render_pdf(*, receipt_id, force=False):
    """Store the receipt's PDF once, and again when the stored one is stale (rendered before the
    payment was reversed, so without its VOID stamp) or when `force`d. The row lock keeps the
    handler and a first download from storing two files."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from classpoint.files import new_key

    from ..documents import pdf_filename, pdf_is_current, render_receipt_pdf

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

    from ..documents import balance_after

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
    # Typed, not formatted: messaging writes amounts and the moment in each guardian's language.
    context = {
        "school_name": school.name,
        "student_name": student.full_name,
        "invoice_number": invoice.number or "",
        "receipt_number": receipt.number,
        "amount": {"money": [int(receipt.amount_minor), receipt.currency]},
        "balance": {"money": [int(balance), receipt.currency]},
        "paid_at": {"datetime": paid_at.isoformat(timespec="minutes")},
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
