"""The invoices list as a CSV file: the invoices its filters find, every page, newest first.

Amounts are plain numbers in major units (no symbol, no thousands separator) beside the currency, so
a spreadsheet sums the columns. The rows are read as plain values with their student, class and term
joined in, through a cursor a chunk at a time: memory and queries stay flat however many invoices."""

from classpoint.csvfile import export_records
from classpoint.money import format_amount

from .models import Invoice

HEADER = [
    "Invoice",
    "Student",
    "Admission number",
    "Class",
    "Term",
    "Status",
    "Overdue",
    "Issued",
    "Due",
    "Total",
    "Discount",
    "Paid",
    "Balance",
    "Currency",
]
FIELDS = (
    "number",
    "student__first_name",
    "student__last_name",
    "student__admission_number",
    "class_group__name",
    "term__name",
    "term__session__name",
    "status",
    "is_overdue",
    "issue_date",
    "due_date",
    "total_minor",
    "discount_minor",
    "paid_minor",
    "currency",
)


def _day(value):
    return value.isoformat() if value else ""


def invoices_export(*, school, invoices):
    """(header, rows) for `invoices` (the list's queryset, in its order); rows stream as they are read."""
    statuses = dict(Invoice.Status.choices)

    def row(record):
        number, first, last, admission, group, term, session, status, overdue, issued, due, *money = record
        total, discount, paid, currency = money
        return [
            number or "Draft",
            f"{first} {last}",
            admission,
            group or "",
            f"{term} {session}" if session else term,
            statuses.get(status, status),
            "Yes" if overdue else "",
            _day(issued),
            _day(due),
            format_amount(total, grouped=False),
            format_amount(discount, grouped=False),
            format_amount(paid, grouped=False),
            format_amount(total - paid, grouped=False),
            currency,
        ]

    return HEADER, export_records(invoices.values_list(*FIELDS), row)
