"""The bursar's two ledgers in the workspace: every payment recorded (online, transfer, cash, POS) and
every receipt issued, each filtered the same way on its page and in its CSV file.

A page reads its rows with the invoice, student and class joined in (no query per row); the file
reads the same queryset as plain values through a cursor, a chunk at a time. Amounts in the file
are plain numbers in major units beside the currency, so a spreadsheet sums the column."""

import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from classpoint.csvfile import export_records
from classpoint.money import format_amount

from .models import PaymentTransaction, Receipt

Status, Kind = PaymentTransaction.Status, PaymentTransaction.Kind
RECEIPT_STATES = {"valid": _("Valid"), "void": _("Void")}


def _search(rows, q, *, prefix, numbers):
    """Words of `q`, each matching a number of `numbers` (receipt, invoice, reference) or the pupil's
    name or admission number (the students' trigram-indexed search_text)."""
    for word in (q or "").lower().split()[:4]:
        match = Q(**{f"{prefix}invoice__student__search_text__contains": word})
        for field in numbers:
            match |= Q(**{f"{field}__icontains": word})
        rows = rows.filter(match)
    return rows


def _between(rows, field, school, date_from, date_to):
    # The dates are the school's days, both ends included.
    if date_from:
        rows = rows.filter(**{f"{field}__gte": school.local_day_start(date_from)})
    if date_to:
        rows = rows.filter(**{f"{field}__lt": school.local_day_start(date_to + datetime.timedelta(days=1))})
    return rows


def payments_list(*, school, q="", status="", kind="", date_from=None, date_to=None):
    """The school's payments, newest first: `date_from`/`date_to` are the days they were recorded."""
    payments = PaymentTransaction.objects.for_school(school)
    if status:
        payments = payments.filter(status=status)
    if kind:
        payments = payments.filter(kind=kind)
    payments = _between(payments, "created_at", school, date_from, date_to)
    payments = _search(payments, q, prefix="", numbers=("invoice__number", "provider_reference"))
    return payments.order_by("-created_at", "-id")


def payments_page(payments):
    """What the page shows of each payment: invoice, pupil, class and receipt joined in."""
    return payments.select_related("invoice__student", "invoice__class_group", "receipt")


def receipts_list(*, school, q="", state="", date_from=None, date_to=None):
    """The school's receipts, newest first: `date_from`/`date_to` are the days they were issued."""
    receipts = Receipt.objects.for_school(school)
    if state in RECEIPT_STATES:
        receipts = receipts.filter(is_void=state == "void")
    receipts = _between(receipts, "issued_at", school, date_from, date_to)
    receipts = _search(
        receipts,
        q,
        prefix="transaction__",
        numbers=("number", "transaction__invoice__number", "transaction__provider_reference"),
    )
    return receipts.order_by("-issued_at", "-id")


def receipts_page(receipts):
    return receipts.select_related("transaction__invoice__student", "transaction__invoice__class_group")


def _moment(value, tz):
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _pupil(first, last):
    return f"{first} {last}".strip()


PAYMENTS_HEADER = [
    "Recorded",
    "Confirmed",
    "Invoice",
    "Student",
    "Admission number",
    "Class",
    "Method",
    "Gateway",
    "Reference",
    "Amount",
    "Currency",
    "Status",
    "Receipt",
    "Note",
    "Recorded by",
]
PAYMENT_FIELDS = (
    "created_at",
    "confirmed_at",
    "invoice__number",
    "invoice__student__first_name",
    "invoice__student__last_name",
    "invoice__student__admission_number",
    "invoice__class_group__name",
    "kind",
    "gateway",
    "provider_reference",
    "amount_minor",
    "currency",
    "status",
    "receipt__number",
    "note",
    "recorded_by__username",
)


def payments_export(*, school, payments):
    """(header, rows) of the payments file; `payments` is the page's queryset, in its order."""
    tz, kinds, statuses = school.tzinfo, dict(Kind.choices), dict(Status.choices)

    def row(record):
        at, confirmed, invoice, first, last, admission, group, kind, gateway, ref, amount, *rest = record
        currency, status, receipt, note, recorded_by = rest
        return [
            _moment(at, tz),
            _moment(confirmed, tz),
            invoice or "",
            _pupil(first, last),
            admission,
            group or "",
            kinds.get(kind, kind),
            gateway,
            ref or "",
            format_amount(amount, grouped=False),
            currency,
            statuses.get(status, status),
            receipt or "",
            note,
            recorded_by or "",
        ]

    return PAYMENTS_HEADER, export_records(payments.values_list(*PAYMENT_FIELDS), row)


RECEIPTS_HEADER = [
    "Receipt",
    "Issued",
    "Student",
    "Admission number",
    "Class",
    "Invoice",
    "Method",
    "Reference",
    "Amount",
    "Currency",
    "Void",
]
RECEIPT_FIELDS = (
    "number",
    "issued_at",
    "transaction__invoice__student__first_name",
    "transaction__invoice__student__last_name",
    "transaction__invoice__student__admission_number",
    "transaction__invoice__class_group__name",
    "transaction__invoice__number",
    "transaction__kind",
    "transaction__provider_reference",
    "amount_minor",
    "currency",
    "is_void",
)


def receipts_export(*, school, receipts):
    """(header, rows) of the receipts file; `receipts` is the page's queryset, in its order."""
    tz, kinds = school.tzinfo, dict(Kind.choices)

    def row(record):
        number, issued, first, last, admission, group, invoice, kind, ref, amount, currency, void = record
        return [
            number,
            _moment(issued, tz),
            _pupil(first, last),
            admission,
            group or "",
            invoice or "",
            kinds.get(kind, kind),
            ref or "",
            format_amount(amount, grouped=False),
            currency,
            "Yes" if void else "",
        ]

    return RECEIPTS_HEADER, export_records(receipts.values_list(*RECEIPT_FIELDS), row)
