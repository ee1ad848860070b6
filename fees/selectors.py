"""Reads for the bursar's pages."""

from django.db.models import Q, Sum

from .models import Allocation, Invoice


def invoices_list(*, school, term_id=None, class_group_id=None, status="", overdue=False, q=""):
    invoices = Invoice.objects.for_school(school).select_related("student", "class_group", "term")
    if term_id:
        invoices = invoices.filter(term_id=term_id)
    if class_group_id:
        invoices = invoices.filter(class_group_id=class_group_id)
    if status:
        invoices = invoices.filter(status=status)
    if overdue:
        invoices = invoices.filter(is_overdue=True)
    for word in (q or "").lower().split()[:4]:
        invoices = invoices.filter(Q(number__icontains=word) | Q(student__search_text__contains=word))
    return invoices.order_by("-created_at", "-id")


def invoice_of_school(*, school, invoice_id):
    """One invoice of `school` with its student, class and term, or None: another school's id finds
    nothing. For the apps above fees (payments' invoice actions and notices)."""
    invoices = Invoice.objects.for_school(school).select_related("school", "student", "class_group", "term__session")
    return invoices.filter(pk=invoice_id).first()


def transactions_applied(*, school, transaction_ids):
    """The ids among `transaction_ids` that fees has credited to their invoice (an Allocation each)."""
    allocations = Allocation.objects.for_school(school).filter(transaction_id__in=list(transaction_ids))
    return set(allocations.values_list("transaction_id", flat=True))


def invoice_totals(invoices):
    """Billed, paid and outstanding over a filtered list, in one aggregate query."""
    totals = invoices.exclude(status=Invoice.Status.VOID).aggregate(billed=Sum("total_minor"), paid=Sum("paid_minor"))
    billed, paid = totals["billed"] or 0, totals["paid"] or 0
    return {"billed": billed, "paid": paid, "outstanding": billed - paid}


def family_account(*, school, guardian):
    """A guardian's children, each with their invoices, and what the family owes in all. The family's
    credit comes along on the guardian: `guardian.credit_minor` (the balance) and
    `guardian.credit_entries` (the ledger, newest first)."""
    from .credit import credit_entries

    ledger = list(
        credit_entries(school=school, guardian_id=guardian.pk, student_id=None)
        .select_related("invoice", "student", "created_by")
        .order_by("-created_at", "-id")
    )
    guardian.credit_minor = sum(entry.amount_minor for entry in ledger)
    guardian.credit_entries = ledger
    from schools.models import Student

    children = list(
        Student.objects.for_school(school).filter(guardian_links__guardian=guardian).order_by("last_name", "first_name")
    )
    invoices = (
        Invoice.objects.for_school(school)
        .filter(student__in=children)
        .exclude(status=Invoice.Status.VOID)
        .select_related("term__session", "class_group")
        .order_by("-created_at")
    )
    by_child = {child.pk: [] for child in children}
    for invoice in invoices:
        by_child[invoice.student_id].append(invoice)
    balance = sum(invoice.balance_minor for invoice in invoices if invoice.status != Invoice.Status.DRAFT)
    return [(child, by_child[child.pk]) for child in children], balance


def awards_list(*, school, status=""):
    """Scholarships and waivers, those waiting for a decision first, then newest first."""
    from django.db.models import Case, IntegerField, Value, When

    from .models import StudentAward

    awards = StudentAward.objects.for_school(school).select_related(
        "student", "term__session", "requested_by", "approved_by", "school"
    )
    if status:
        awards = awards.filter(status=status)
    waiting = Case(
        When(status=StudentAward.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return awards.order_by(waiting, "-created_at", "-id")
