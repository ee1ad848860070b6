"""Overdue scan and defaulters. "Today" is always the school's local date."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from classpoint.audit import audit
from classpoint.outbox import emit_many

from .models import Invoice

OPEN = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
_EVENT_CHUNK = 5000


def _open_past_due(school, today):
    return Invoice.objects.for_school(school).filter(
        status__in=OPEN, due_date__lt=today, total_minor__gt=F("paid_minor")
    )


@transaction.atomic
def overdue_scan(*, school, today=None):
    """Mark past-due unpaid invoices overdue and emit `invoice.overdue` at most once per invoice per
    reminder interval (`overdue_reminded_on` spaces them), so running it twice changes nothing.
    Returns (newly_marked, events_emitted)."""
    today = today or school.local_today()
    interval = settings.OVERDUE_REMINDER_DAYS
    past_due = _open_past_due(school, today)
    marked = past_due.filter(is_overdue=False).update(is_overdue=True)
    # Paid or re-dated invoices stop being overdue.
    Invoice.objects.for_school(school).filter(is_overdue=True).exclude(pk__in=past_due.values("pk")).update(
        is_overdue=False
    )
    due_reminder = past_due.filter(
        Q(overdue_reminded_on__isnull=True) | Q(overdue_reminded_on__lte=today - datetime.timedelta(days=interval))
    )
    emitted, last_pk = 0, 0
    # Keyset pagination: each chunk starts after the last, instead of re-scanning updated rows.
    while chunk := list(
        due_reminder.filter(pk__gt=last_pk).values_list("pk", "due_date").order_by("pk")[:_EVENT_CHUNK]
    ):
        last_pk = chunk[-1][0]
        Invoice.objects.filter(pk__in=[pk for pk, _ in chunk]).update(overdue_reminded_on=today)
        emit_many(school=school, events=[
            ("invoice.overdue", {"invoice_id": pk, "days_overdue": (today - due).days}, f"invoice.overdue:{pk}:{today}")
            for pk, due in chunk
        ])  # fmt: skip
        emitted += len(chunk)
    if marked or emitted:
        audit(school=school, actor=None, action="invoices.overdue_scan", changes={
            "date": today.isoformat(), "newly_overdue": marked, "reminders": emitted})  # fmt: skip
    return marked, emitted


def defaulters(*, school, term_id=None, class_group_id=None, min_days_overdue=0, min_amount_due=0, today=None):
    """Open invoices past due by at least `min_days_overdue` days with at least `min_amount_due`
    outstanding, oldest due first, each annotated with its balance."""
    today = today or school.local_today()
    # Overdue by at least N days: due on or before today - N (N = 0 or 1: any past due date).
    cutoff = today - datetime.timedelta(days=max(min_days_overdue - 1, 0))
    invoices = _open_past_due(school, cutoff)
    if term_id:
        invoices = invoices.filter(term_id=term_id)
    if class_group_id:
        invoices = invoices.filter(class_group_id=class_group_id)
    invoices = invoices.annotate(balance=F("total_minor") - F("paid_minor"))
    if min_amount_due:
        invoices = invoices.filter(balance__gte=min_amount_due)
    return invoices.select_related("student", "class_group").order_by("due_date", "id")


def totals_by_class(invoices):
    return list(
        invoices.order_by().values("class_group__name")
        .annotate(outstanding=Sum(F("total_minor") - F("paid_minor")), invoices=Count("id"))
        .order_by("class_group__name")
    )  # fmt: skip
