"""Receipt PDFs. A receipt is a record of one moment: it shows the invoice's balance right after
its payment, whenever it is rendered, and a reversed payment's receipt is stamped VOID."""

from django.db.models import Sum

from classpoint import pdf
from fees.documents import document_money, moment
from schools.documents import school_letterhead

# The storage name says which state a stored PDF shows, so a reversal can tell a stale one.
VOID_SUFFIX = "-void.pdf"


def pdf_filename(receipt):
    return f"{receipt.number}{VOID_SUFFIX if receipt.is_void else '.pdf'}"


def pdf_is_current(receipt):
    """A PDF is stored and shows the receipt as it stands (one rendered before a reversal is not)."""
    return bool(receipt.pdf_key) and receipt.pdf_key.endswith(VOID_SUFFIX) == receipt.is_void


def balance_after(tx):
    """(balance, credit) of the invoice right after `tx` was applied: allocations are applied in id
    order under a row lock, so summing up to this one's is exact, later payments and reversals aside."""
    invoice = tx.invoice
    allocation = invoice.allocations.filter(transaction_id=tx.pk).first()
    if allocation is None:  # fees has not applied it yet: it will take what it can of the balance
        return max(invoice.balance_minor - tx.amount_minor, 0), max(tx.amount_minor - invoice.balance_minor, 0)
    applied = invoice.allocations.filter(pk__lte=allocation.pk).aggregate(total=Sum("amount_minor"))["total"]
    return invoice.total_minor - (applied or 0), allocation.credit_minor


def method_label(tx):
    if tx.kind == "gateway" and tx.gateway:
        return f"{tx.get_kind_display()} ({tx.gateway.title()})"
    return tx.get_kind_display()


def reference(tx):
    proof = getattr(tx, "proof", None)  # a missing proof raises an AttributeError subclass
    intent_reference = tx.intent.reference if tx.intent_id else ""
    return tx.provider_reference or (proof.bank_reference if proof else "") or intent_reference or "—"


def render_receipt_pdf(receipt):
    tx = receipt.transaction
    invoice, school = tx.invoice, receipt.school
    student = invoice.student

    def money(amount):
        return document_money(amount, receipt.currency)

    balance, credit = balance_after(tx)
    facts = [
        ("Date paid", moment(tx.confirmed_at or receipt.issued_at, school)),
        ("Student", f"{student.full_name} ({student.admission_number})"),
        ("Invoice", invoice.number or "—"),
        ("Class", invoice.class_group.name if invoice.class_group else "—"),
        ("Method", method_label(tx)),
        ("Reference", reference(tx)),
        ("Amount paid", money(receipt.amount_minor)),
        ("Balance after this payment", money(balance)),
    ]
    if tx.recorded_by_id and tx.recorded_by.get_full_name():
        facts.append(("Received by", tx.recorded_by.get_full_name()))
    section = pdf.Section(
        heading="Payment",
        columns=("Description", "Amount"),
        widths=(3, 1),
        numeric=(1,),
        rows=[(f"Payment towards invoice {invoice.number or ''} ({invoice.term})", money(receipt.amount_minor))],
        totals=[("Invoice total", money(invoice.total_minor)), ("Balance after this payment", money(balance))],
    )
    notes = []
    if credit > 0:
        notes.append(f"{money(credit)} paid beyond the invoice's balance is held as credit.")
    if receipt.is_void:
        notes.append("This payment was reversed: the receipt is void and is no longer proof of payment.")
    else:
        notes.append("Thank you. Keep this receipt as proof of payment.")
    return pdf.render(
        letterhead=school_letterhead(school),
        title="Receipt",
        number=receipt.number,
        facts=facts,
        sections=[section],
        notes=notes,
        stamp="VOID" if receipt.is_void else None,
        generated_at=school.local_now(),
        subject=f"Receipt for {student.full_name}",
    )
