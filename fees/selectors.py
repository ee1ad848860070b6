"""Reads for the bursar's pages, and fees' figures by school-local day for the apps above (the KPI
sinks and the school dashboard)."""

from collections import defaultdict

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from classpoint.days import DAY, day_bounds, each_day, local_day
from schools import selectors as schools_selectors

from .credit import credit_entries
from .models import Allocation, Invoice, OwingDelta


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


def invoice_with_lines(*, school, invoice_id):
    """One invoice of `school` with everything a family's page shows (student, class, term, lines and
    discounts), or None: payments' secure invoice page for a guardian."""
    invoices = (
        Invoice.objects.for_school(school)
        .select_related("student", "term__session", "class_group")
        .prefetch_related("lines", "discounts")
    )
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

    ledger = list(
        credit_entries(school=school, guardian_id=guardian.pk, student_id=None)
        .select_related("invoice", "student", "created_by")
        .order_by("-created_at", "-id")
    )
    guardian.credit_minor = sum(entry.amount_minor for entry in ledger)
    guardian.credit_entries = ledger
    children = list(schools_selectors.students_of_guardian(school=school, guardian=guardian))
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


# --- by school-local day, for the KPI sinks and the dashboard (registrar) ---------------------------

# Invoices that bill someone: issued, whatever has been paid since.
_LIVE = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID, Invoice.Status.PAID)


def invoices_balances_by_day(*, school, start, end):
    """{day: (invoiced_minor, outstanding_minor)} for each school-local day from `start` to `end`.

    invoiced_minor: totals of the invoices issued that day (issue_date) that are not void today.
    outstanding_minor: what the issued invoices still owed at the end of the day: the opening
    balance before `start`, then each day's invoices issued less the money allocated to issued
    invoices that day (the Allocation ledger adds up to each invoice's paid). Exact for the ledger;
    what it cannot know is the past of today's state: an invoice voided since, or re-priced by a
    later discount, counts as it is today. An allocation made before its invoice's issue date (never
    in practice) counts on the issue date."""
    since, until = day_bounds(school, start, end)
    live = Invoice.objects.for_school(school).filter(status__in=_LIVE, issue_date__isnull=False)
    allocations = Allocation.objects.for_school(school).filter(
        invoice__status__in=_LIVE, invoice__issue_date__isnull=False
    )
    billed_before = live.filter(issue_date__lt=start).aggregate(s=Sum("total_minor"))["s"] or 0
    paid_before = (
        allocations.filter(created_at__lt=since, invoice__issue_date__lt=start).aggregate(s=Sum("amount_minor"))["s"]
        or 0
    )
    invoiced = {
        row["issue_date"]: row["s"]
        for row in live.filter(issue_date__gte=start, issue_date__lte=end)
        .values("issue_date")
        .annotate(s=Sum("total_minor"))
        .order_by()
    }
    paid = defaultdict(int)
    moving = (
        allocations.filter(created_at__lt=until, invoice__issue_date__lte=end)
        .filter(Q(created_at__gte=since) | Q(invoice__issue_date__gte=start))
        .annotate(day=local_day("created_at", school))
        .values("day", "invoice__issue_date")
        .annotate(s=Sum("amount_minor"))
        .order_by()
    )
    for row in moving:
        paid[max(row["day"], row["invoice__issue_date"])] += row["s"]
    running = billed_before - paid_before
    found = {}
    for day in each_day(start, end):
        running += invoiced.get(day, 0) - paid[day]
        found[day] = (invoiced.get(day, 0), running)
    return found


def invoices_overdue_by_day(*, school, start, end):
    """{day: invoices due before the day and not paid off at its end}. Each invoice is overdue from
    the day after its due date (or its issue date, if issued late) until the day it was paid off.
    "Paid off" is read as the invoice's last allocation for invoices paid in full today; an invoice
    owing today counts as unpaid on every past day after its due date (a payment that was later
    reversed is not seen)."""
    since, _ = day_bounds(school, start, end)
    base = Invoice.objects.for_school(school).filter(status__in=_LIVE, issue_date__lte=end, due_date__lt=end)
    owing = base.filter(total_minor__gt=F("paid_minor")).values("due_date", "issue_date").annotate(n=Count("id"))
    last_paid = Subquery(
        Allocation.objects.for_school(school)
        .filter(invoice=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    settled = (
        base.filter(
            total_minor__lte=F("paid_minor"),
            pk__in=Allocation.objects.for_school(school).filter(created_at__gte=since).values("invoice_id"),
        )
        .annotate(settled_day=local_day(last_paid, school))
        .values("due_date", "issue_date", "settled_day")
        .annotate(n=Count("id"))
    )
    starts, ends = defaultdict(int), defaultdict(int)
    for row in [*owing.order_by(), *settled.order_by()]:
        first = max(row["due_date"] + DAY, row["issue_date"])
        settled_day = row.get("settled_day")
        if settled_day is not None and settled_day <= first:
            continue
        starts[first] += row["n"]
        if settled_day is not None:
            ends[settled_day] += row["n"]
    running = sum(n for day, n in starts.items() if day < start) - sum(n for day, n in ends.items() if day < start)
    found = {}
    for day in each_day(start, end):
        running += starts.get(day, 0) - ends.get(day, 0)
        found[day] = running
    return found


def invoices_owing_now(*, school, today):
    """(outstanding_minor, overdue invoices) now. On PostgreSQL from the running totals (OwingDelta:
    a few hundred rows whatever the number of invoices); on SQLite from the open invoices."""
    if connection.vendor == "postgresql":
        totals = OwingDelta.objects.for_school(school).aggregate(
            outstanding=Sum("outstanding_minor"), overdue=Sum("invoices", filter=Q(due_date__lt=today))
        )
    else:
        owing = Invoice.objects.for_school(school).filter(
            status__in=(Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID), total_minor__gt=F("paid_minor")
        )
        totals = owing.aggregate(
            outstanding=Sum(F("total_minor") - F("paid_minor")), overdue=Count("id", filter=Q(due_date__lt=today))
        )
    return totals["outstanding"] or 0, totals["overdue"] or 0


def student_fees(*, school, student, credit_limit=20):
    """A pupil's fees for the record's Fees tab: every invoice (newest term first, void ones too),
    what the open ones still owe (as fees/balances.py counts it: issued or partly paid, with a
    balance), and the family's credit (the primary guardian's ledger, or the pupil's own without
    one): its balance and its latest entries. A fixed number of queries whatever the history."""
    from .balances import OPEN
    from .credit import credit_balance, family_of

    invoices = list(
        Invoice.objects.for_school(school)
        .filter(student=student)
        .select_related("term__session", "class_group")
        .order_by("-term__start_date", "-created_at", "-id")
    )
    guardian_id = family_of(school=school, student_id=student.pk)
    entries = list(
        credit_entries(school=school, guardian_id=guardian_id, student_id=student.pk)
        .select_related("invoice", "student")
        .order_by("-created_at", "-id")[:credit_limit]
    )
    return {
        "invoices": invoices,
        "owed_minor": sum(i.balance_minor for i in invoices if i.status in OPEN and i.balance_minor > 0),
        "overdue": sum(1 for i in invoices if i.is_overdue and i.status in OPEN and i.balance_minor > 0),
        "family_guardian_id": guardian_id,
        "credit_minor": credit_balance(school=school, guardian_id=guardian_id, student_id=student.pk),
        "credit_entries": entries,
    }
