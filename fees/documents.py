"""Invoice PDFs, and money as every school document prints it (the letterhead is schools').

Invoices are rendered on demand and never stored: an invoice changes as it is paid, and a stored
copy would go stale with the first payment.
"""

from django.utils import timezone

from classpoint import pdf
from classpoint.money import currency_symbol, format_money
from schools.documents import school_letterhead

STAMPS = {"draft": "DRAFT", "void": "VOID", "paid": "PAID"}


def document_money(amount_minor, currency):
    """`format_money`, with the ISO code where the document font has no glyph for the symbol."""
    return format_money(amount_minor, currency, symbol=pdf.supports(currency_symbol(currency)))


def day(value):
    return f"{value.day} {value:%b %Y}" if value else "—"


def moment(value, school):
    """A stored (UTC) time as the school reads it."""
    if value is None:
        return "—"
    local = timezone.localtime(value, school.tzinfo)
    return f"{local.day} {local:%b %Y, %H:%M}"


def _payments(invoice, money):
    rows = []
    transactions = invoice.transactions.filter(status__in=("confirmed", "reversed")).select_related("receipt")
    for tx in transactions.order_by("confirmed_at", "id"):
        receipt = getattr(tx, "receipt", None)
        number = (receipt.number + (" (void)" if receipt.is_void else "")) if receipt else "—"
        how = tx.get_kind_display() + (" — reversed" if tx.status == "reversed" else "")
        rows.append(
            (
                moment(tx.confirmed_at or tx.created_at, invoice.school),
                how,
                tx.provider_reference or "—",
                number,
                money(tx.amount_minor),
            )
        )
    return pdf.Section(
        heading="Payments received",
        columns=("Date", "Method", "Reference", "Receipt", "Amount"),
        rows=rows,
        numeric=(4,),
        widths=(1.6, 1.4, 1.3, 1.7, 1.1),
        empty="No payments received yet.",
    )


def _instalments(invoice, money):
    rows = [
        (day(i.due_date), money(i.amount_minor), money(i.paid_minor), money(i.amount_minor - i.paid_minor))
        for i in invoice.instalments.all()
    ]
    return pdf.Section(
        heading="Instalments",
        columns=("Due", "Amount", "Paid", "Outstanding"),
        rows=rows,
        numeric=(1, 2, 3),
        widths=(1.5, 1, 1, 1),
    )


def _notes(invoice):
    if invoice.status == "draft":
        return ["Draft: this invoice has not been issued. Its number and amounts may still change."]
    if invoice.status == "void":
        return ["This invoice is void: nothing is owed on it."]
    if invoice.status == "paid":
        return ["Paid in full. Thank you."]
    notes = [f"Please quote {invoice.number} with every payment."]
    if invoice.is_overdue:
        notes.append(f"Payment was due on {day(invoice.due_date)} and is overdue.")
    return notes


def render_invoice_pdf(invoice):
    """The invoice as it stands now: lines, discounts, totals, payments and (when it has them)
    instalments, stamped DRAFT, VOID or PAID."""
    school = invoice.school

    def money(amount):
        return document_money(amount, invoice.currency)

    student = invoice.student
    status = invoice.get_status_display() + (", overdue" if invoice.is_overdue and invoice.balance_minor > 0 else "")
    facts = [
        ("Student", f"{student.full_name} ({student.admission_number})"),
        ("Class", invoice.class_group.name if invoice.class_group else "—"),
        ("Term", str(invoice.term)),
        ("Status", status),
        ("Issue date", day(invoice.issue_date)),
        ("Due date", day(invoice.due_date)),
        ("Balance due", money(invoice.balance_minor)),
    ]
    lines = [
        (line.description + (" (optional)" if line.optional else ""), money(line.amount_minor))
        for line in invoice.lines.all()
    ]
    lines += [(d.description, money(-d.amount_minor)) for d in invoice.discounts.all()]
    totals = [("Subtotal", money(invoice.subtotal_minor))]
    if invoice.discount_minor:
        totals.append(("Discounts", money(-invoice.discount_minor)))
    totals += [
        ("Total", money(invoice.total_minor)),
        ("Paid", money(invoice.paid_minor)),
        ("Balance due", money(invoice.balance_minor)),
    ]
    sections = [
        pdf.Section(
            heading="Fees", columns=("Description", "Amount"), rows=lines, numeric=(1,), totals=totals, widths=(3, 1)
        ),
    ]
    # Instalment plans arrive with their own model; an invoice without one has a single due date.
    if hasattr(invoice, "instalments") and (plan := _instalments(invoice, money)).rows:
        sections.append(plan)
    sections.append(_payments(invoice, money))
    return pdf.render(
        letterhead=school_letterhead(school),
        title="Invoice",
        number=invoice.number or "Draft",
        facts=facts,
        sections=sections,
        notes=_notes(invoice),
        stamp=STAMPS.get(invoice.status),
        generated_at=school.local_now(),
        subject=f"Invoice for {student.full_name}",
    )
