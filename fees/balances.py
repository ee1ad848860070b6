"""What fees tells the kernel's balances hook (classpoint/balances.py): what each pupil's invoices
still owe, and what they are billed for a term. The apps below fees (academics withholding a report
card, printing next term's fees on it) read these through the kernel without importing fees.

An invoice is owed on from the day it is issued until it is settled: issued or partly paid (the
overdue scan flags such an invoice, it does not change its status), with a balance above zero. A
draft was never sent and a void one is cancelled: neither is owed. What a term is billed counts
every invoice of that term that is not void, drafts included, so a report card can print next term's
fees before the bursar issues them.
"""

from django.db.models import F, Sum

from .models import Invoice

OPEN = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


def _ids(student_ids):
    return [int(i) for i in student_ids]


def _open_invoices(school, student_ids):
    return Invoice.objects.for_school(school).filter(
        student_id__in=_ids(student_ids), status__in=OPEN, total_minor__gt=F("paid_minor")
    )


def owed_minor(*, school, student_ids):
    """{student_id: the open invoices' balances, in minor units} for the pupils who owe anything."""
    rows = (
        _open_invoices(school, student_ids)
        .values("student_id")
        .annotate(owed=Sum(F("total_minor") - F("paid_minor")))
        .order_by()
    )
    return {row["student_id"]: int(row["owed"]) for row in rows}


def due_for_term(*, school, student_ids, term):
    """{student_id: what the pupil's invoices for `term` total, in minor units} (void ones left out)."""
    rows = (
        Invoice.objects.for_school(school)
        .filter(student_id__in=_ids(student_ids), term=term)
        .exclude(status=Invoice.Status.VOID)
        .values("student_id")
        .annotate(billed=Sum("total_minor"))
        .order_by()
    )
    return {row["student_id"]: int(row["billed"]) for row in rows}


def oldest_open_invoice(*, school, student_id):
    """The pupil's open invoice that has waited longest (earliest due, then issued), or None: where a
    family is sent to pay first (payments/balances.py)."""
    invoices = _open_invoices(school, [student_id]).select_related("school")
    return invoices.order_by(F("due_date").asc(nulls_last=True), "issue_date", "id").first()
