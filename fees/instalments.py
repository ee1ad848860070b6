"""Instalment plans: an invoice's total split into dated parts.

Payments fill instalments oldest first and reversals take back from the newest filled, so what each
instalment has paid is always the invoice's paid amount spread oldest first: `invoice_settle` recomputes it
from the invoice instead of moving money instalment by instalment. While a plan exists the invoice's
due date is that of the earliest instalment with a balance, so the overdue scan and the defaulters
list work on plans unchanged.
"""

import datetime

from django.db import transaction

from classpoint.audit import audit
from classpoint.money import format_money

from .errors import FeesError, FeesErrorCode
from .models import Invoice, InvoiceInstalment

MAX_INSTALMENTS = 24
_SETTLED_FIELDS = ["paid_minor", "discount_minor", "total_minor", "status", "due_date", "is_overdue", "updated_at"]


def _fit(plan, total):
    """Make the plan add up to a changed total (a scholarship approved later): a smaller total comes
    off the last instalments first, a larger one is added to the last. Returns the instalments kept."""
    difference = sum(i.amount_minor for i in plan) - total
    if difference < 0 and plan:
        plan[-1].amount_minor -= difference
    for instalment in reversed(plan):
        if difference <= 0:
            break
        cut = min(difference, instalment.amount_minor)
        instalment.amount_minor -= cut
        difference -= cut
    gone = [i.pk for i in plan if i.amount_minor <= 0]
    if gone:
        InvoiceInstalment.objects.filter(pk__in=gone).delete()
    return [i for i in plan if i.amount_minor > 0]


def invoice_settle(invoice):
    """After an invoice's paid amount or total changed (the caller holds its row lock): spread what is
    paid over the plan, follow the plan's due date, recompute status and overdue flag, save."""
    plan = list(InvoiceInstalment.objects.for_school(invoice.school_id).filter(invoice=invoice).order_by("sequence"))
    if plan:
        plan = _fit(plan, invoice.total_minor)
        left = max(invoice.paid_minor, 0)
        for instalment in plan:
            instalment.paid_minor = min(instalment.amount_minor, left)
            left -= instalment.paid_minor
        InvoiceInstalment.objects.bulk_update(plan, ["amount_minor", "paid_minor"])
        if plan:
            unpaid = [i for i in plan if i.balance_minor > 0]
            invoice.due_date = (unpaid[0] if unpaid else plan[-1]).due_date
    if invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        if invoice.balance_minor <= 0:
            invoice.status = Invoice.Status.PAID
        else:
            invoice.status = Invoice.Status.PARTIALLY_PAID if invoice.paid_minor > 0 else Invoice.Status.ISSUED
    # Only ever cleared here: becoming overdue is the daily scan's job (it also sends the reminder).
    still_late = invoice.due_date is not None and invoice.due_date < invoice.school.local_today()
    invoice.is_overdue = invoice.is_overdue and invoice.balance_minor > 0 and still_late
    invoice.save(update_fields=_SETTLED_FIELDS)
    return plan


@transaction.atomic
def instalment_plan_set(*, invoice, actor, instalments):
    """Split the invoice's total into dated instalments (`[{"due_date": date, "amount_minor": int}]`),
    replacing any earlier plan; what is already paid is spread over the new plan oldest first."""
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("school").get(pk=invoice.pk)
    if invoice.status in (Invoice.Status.VOID, Invoice.Status.PAID):
        raise FeesError(
            "No plan for this invoice.",
            code=FeesErrorCode.NOT_PLANNABLE,
            fields={"status": [f"The invoice is {invoice.get_status_display().lower()}."]},
        )
    errors = {}
    if len(instalments) < 2:
        errors["instalments"] = ["Split the invoice into at least two instalments."]
    elif len(instalments) > MAX_INSTALMENTS:
        errors["instalments"] = [f"At most {MAX_INSTALMENTS} instalments."]
    previous = None
    for index, row in enumerate(instalments):
        amount, due = row.get("amount_minor"), row.get("due_date")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            errors[f"instalments.{index}.amount_minor"] = ["Enter an amount above zero."]
        if not isinstance(due, datetime.date):
            errors[f"instalments.{index}.due_date"] = ["Enter a due date."]
            continue
        if previous is not None and due <= previous:
            errors[f"instalments.{index}.due_date"] = ["Each instalment must fall due after the one before it."]
        previous = due
    if not errors:
        planned = sum(row["amount_minor"] for row in instalments)
        if planned != invoice.total_minor:
            errors["instalments"] = [
                f"The instalments add up to {format_money(planned, invoice.currency)}; "
                f"the invoice total is {format_money(invoice.total_minor, invoice.currency)}."
            ]
    if errors:
        raise FeesError("Check the instalments.", code=FeesErrorCode.INVALID_PLAN, fields=errors)
    InvoiceInstalment.objects.for_school(invoice.school).filter(invoice=invoice).delete()
    InvoiceInstalment.objects.bulk_create(
        [
            InvoiceInstalment(
                school=invoice.school,
                invoice=invoice,
                sequence=index,
                due_date=row["due_date"],
                amount_minor=row["amount_minor"],
            )
            for index, row in enumerate(instalments, start=1)
        ]
    )
    invoice_settle(invoice)
    audit(
        school=invoice.school,
        actor=actor,
        action="invoice.instalment_plan_set",
        target=invoice,
        changes={
            "instalments": [
                {"due_date": row["due_date"].isoformat(), "amount_minor": row["amount_minor"]} for row in instalments
            ],
            "due_date": invoice.due_date.isoformat(),
        },
    )
    return invoice
