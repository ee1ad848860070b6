"""What payments asks messaging to tell guardians about an invoice fees issued or found overdue
(`invoice.issued`, `invoice.overdue`): the notice carries each guardian's own secure link to view
and pay, which is payments', so payments asks for it (fees, below payments, cannot make the link).
The context is built here, from what is true now, as plain values (messaging never reads fees'
tables): amounts and dates typed (`{"money": ...}`, `{"date": ...}`), so each guardian reads them
as their language writes them. One request per guardian, because each carries that guardian's own
link."""

from django.db import transaction

from classpoint.flags import feature_on
from classpoint.messages import request_message
from fees import selectors as fees_selectors
from schools.models import StudentGuardian

from .features import ONLINE_PAYMENTS
from .proofs import guardian_link


def _pay_link(invoice, guardian, online):
    """The guardian's link to view and pay, or "" where the school takes no payments online (`online`
    is false: the page behind the link does not exist then, classpoint/flags.py)."""
    return guardian_link(invoice=invoice, guardian=guardian) if online else ""


def _money(amount_minor, currency):
    return {"money": [int(amount_minor), currency]}


def _guardians(invoice):
    return list(
        StudentGuardian.objects.for_school(invoice.school)
        .filter(student=invoice.student)
        .select_related("guardian")
        .order_by("-is_primary", "id")
    )


@transaction.atomic
def request_invoice_issued(*, school, invoice_id):
    """INVOICE_ISSUED to each guardian of the student, once per invoice and guardian."""
    # Within the event's school only: a payload naming another school's invoice messages no one.
    invoice = fees_selectors.invoice_of_school(school=school, invoice_id=invoice_id)
    if invoice is None or not invoice.is_payable:
        return 0
    student = invoice.student
    context = {
        "school_name": invoice.school.name,
        "student_name": f"{student.first_name} {student.last_name}",
        "invoice_number": invoice.number,
        "amount_due": _money(invoice.balance_minor, invoice.currency),
        "due_date": {"date": invoice.due_date.isoformat()} if invoice.due_date else "",
        "term_name": str(invoice.term),
    }
    links = _guardians(invoice)
    online = feature_on(invoice.school, ONLINE_PAYMENTS)
    for link in links:
        guardian = link.guardian
        request_message(
            school=invoice.school,
            template="INVOICE_ISSUED",
            guardian_ids=[guardian.pk],
            student_id=student.pk,
            context={
                **context,
                "guardian_name": f"{guardian.first_name} {guardian.last_name}".strip(),
                "pay_link": _pay_link(invoice, guardian, online),
            },
            dedupe_key=f"invoice-issued:{invoice.pk}:{guardian.pk}",
            reason="invoice.issued",
        )
    return len(links)


@transaction.atomic
def request_overdue_notice(*, school, invoice_id, days_overdue=None, event_id=None):
    """OVERDUE_NOTICE about one invoice (the daily scan's reminder) to the student's primary
    guardian, in the same shape as fees' family reminders so one template serves both. Nothing if
    the invoice was paid or voided since the scan."""
    invoice = fees_selectors.invoice_of_school(school=school, invoice_id=invoice_id)
    if invoice is None or not invoice.has_balance_to_pay:
        return 0
    links = _guardians(invoice)
    if not links:
        return 0
    guardian, student = links[0].guardian, invoice.student
    balance = _money(invoice.balance_minor, invoice.currency)
    context = {
        "school_name": invoice.school.name,
        "guardian_name": f"{guardian.first_name} {guardian.last_name}".strip(),
        "invoices": [
            {
                "student": f"{student.first_name} {student.last_name}",
                "invoice_number": invoice.number,
                "balance": balance,
                "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
                "days_overdue": days_overdue,
            }
        ],
        "total": balance,
        "total_minor": invoice.balance_minor,
        "currency": invoice.currency,
        "date": {"date": invoice.school.local_today().isoformat()},
        "pay_link": _pay_link(invoice, guardian, feature_on(invoice.school, ONLINE_PAYMENTS)),
    }
    request_message(
        school=invoice.school,
        template="OVERDUE_NOTICE",
        guardian_ids=[guardian.pk],
        student_id=student.pk,
        context=context,
        reason="invoice.overdue",
        dedupe_key=f"invoice-overdue:{invoice.pk}:{event_id or invoice.overdue_reminded_on}",
    )
    return 1
