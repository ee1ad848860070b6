"""Overdue scan and defaulters. "Today" is always the school's local date."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from classpoint.audit import audit
from classpoint.messages import request_messages_once
from classpoint.outbox import emit_many
from classpoint.scoping import unscoped
from schools.models import ClassGroup, StudentGuardian

from .models import Invoice, OwingDelta

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
    # Paid or re-dated invoices stop being overdue.
    Invoice.objects.for_school(school).filter(is_overdue=True).exclude(pk__in=past_due.values("pk")).update(
        is_overdue=False
    )
    marked = past_due.filter(is_overdue=False).count()
    due_reminder = past_due.filter(
        Q(overdue_reminded_on__isnull=True) | Q(overdue_reminded_on__lte=today - datetime.timedelta(days=interval))
    )
    emitted, last_pk = 0, 0
    # Keyset pagination: each chunk starts after the last, instead of re-scanning updated rows. Each
    # row is written once: the reminder date and the overdue flag together.
    while chunk := list(
        due_reminder.filter(pk__gt=last_pk).values_list("pk", "due_date").order_by("pk")[:_EVENT_CHUNK]
    ):
        last_pk = chunk[-1][0]
        Invoice.objects.filter(pk__in=[pk for pk, _ in chunk]).update(overdue_reminded_on=today, is_overdue=True)
        emit_many(
            school=school,
            events=[
                (
                    "invoice.overdue",
                    {"invoice_id": pk, "days_overdue": (today - due).days},
                    f"invoice.overdue:{pk}:{today}",
                )
                for pk, due in chunk
            ],
        )
        emitted += len(chunk)
    # Newly past due but reminded within the interval (e.g. re-dated): overdue, no new reminder.
    past_due.filter(is_overdue=False).update(is_overdue=True)
    if marked or emitted:
        audit(
            school=school,
            actor=None,
            action="invoices.overdue_scan",
            changes={"date": today.isoformat(), "newly_overdue": marked, "reminders": emitted},
        )
    return marked, emitted


def _cutoff(today, min_days_overdue):
    # Overdue by at least N days: due on or before today - N (N = 0 or 1: any past due date).
    return today - datetime.timedelta(days=max(min_days_overdue - 1, 0))


def defaulters(*, school, term_id=None, class_group_id=None, min_days_overdue=0, min_amount_due=0, today=None):
    """Open invoices past due by at least `min_days_overdue` days with at least `min_amount_due`
    outstanding, oldest due first, each annotated with its balance."""
    today = today or school.local_today()
    invoices = _open_past_due(school, _cutoff(today, min_days_overdue))
    if term_id:
        invoices = invoices.filter(term_id=term_id)
    if class_group_id:
        invoices = invoices.filter(class_group_id=class_group_id)
    invoices = invoices.annotate(balance=F("total_minor") - F("paid_minor"))
    if min_amount_due:
        invoices = invoices.filter(balance__gte=min_amount_due)
    return invoices.select_related("student", "class_group").order_by("due_date", "id")


def totals_by_class(invoices):
    """Outstanding and invoice count per class, in one pass over the selected invoices: grouped by
    the class id (no join), names looked up afterwards for the handful of classes. The counts add up
    to the list's length, so a page of the list needs no second COUNT over the same rows."""
    grouped = (
        invoices.order_by()
        .values("class_group_id")
        .annotate(outstanding=Sum(F("total_minor") - F("paid_minor")), invoices=Count("id"))
    )
    return _named(grouped)


def defaulter_totals(
    *, school, rows, term_id=None, class_group_id=None, min_days_overdue=0, min_amount_due=0, today=None
):
    """The totals per class of the defaulters `rows` (as `defaulters()` selected them with the same
    filters). On PostgreSQL they come from the running totals (`OwingDelta`), a few hundred rows
    whatever the number of invoices; a minimum amount is a per-invoice test the running totals
    cannot answer, so then (and on SQLite) the selected invoices are aggregated."""
    if min_amount_due or connection.vendor != "postgresql":
        return totals_by_class(rows)
    deltas = OwingDelta.objects.for_school(school).filter(
        due_date__lt=_cutoff(today or school.local_today(), min_days_overdue)
    )
    if term_id:
        deltas = deltas.filter(term_id=term_id)
    if class_group_id:
        deltas = deltas.filter(class_group_id=class_group_id)
    grouped = (
        deltas.values("class_group_id")
        .annotate(outstanding=Sum("outstanding_minor"), invoices=Sum("invoices"))
        .filter(invoices__gt=0)
    )
    return _named(grouped)


def _named(grouped):
    grouped = list(grouped)
    names = dict(
        ClassGroup.objects.filter(pk__in=[g["class_group_id"] for g in grouped if g["class_group_id"]]).values_list(
            "pk", "name"
        )
    )
    totals = [
        {
            "class_group__name": names.get(g["class_group_id"]),
            "outstanding": g["outstanding"],
            "invoices": g["invoices"],
        }
        for g in grouped
    ]
    return sorted(totals, key=lambda t: (t["class_group__name"] is None, t["class_group__name"] or ""))


@unscoped(reason="compaction folds every school's owing deltas in one sweep")
def owing_totals_compact():
    """Fold the running totals to one row per (school, term, class, due date), dropping keys that
    owe nothing. Safe beside writers (they only append; rows appended meanwhile are left for the
    next run) and beside itself (an advisory lock lets one run at a time). Returns (rows before,
    rows after). PostgreSQL only: elsewhere there is nothing to fold."""
    if connection.vendor != "postgresql":
        return 0, 0
    table = OwingDelta._meta.db_table
    keys = "school_id, term_id, class_group_id, due_date"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [table])
        if not cursor.fetchone()[0]:
            return 0, 0
        cursor.execute(
            f"WITH folded AS (DELETE FROM {table} RETURNING {keys}, invoices, outstanding_minor), "  # noqa: S608 - our names
            f"kept AS (INSERT INTO {table} ({keys}, invoices, outstanding_minor) "
            f"SELECT {keys}, SUM(invoices), SUM(outstanding_minor) FROM folded GROUP BY {keys} "
            "HAVING SUM(invoices) <> 0 OR SUM(outstanding_minor) <> 0 RETURNING 1) "
            "SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM kept)"
        )
        before, after = cursor.fetchone()
    return before, after


def page_ids(invoices):
    """The list's order as ids only. Paging over ids lets PostgreSQL skip rows through the index
    without joining students and classes for every row before the page (deep pages stay cheap)."""
    return invoices.values_list("pk", flat=True)


def hydrate(invoices, ids):
    """The rows for one page of ids, in the page's order."""
    by_id = {row.pk: row for row in invoices.filter(pk__in=list(ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


REMINDER_TEMPLATE = "OVERDUE_NOTICE"


def _reminder_key(guardian_id, today):
    return f"overdue-notice:{guardian_id}:{today.isoformat()}"


@transaction.atomic
def reminders_request(
    *, school, actor, term_id=None, class_group_id=None, min_days_overdue=0, min_amount_due=0, today=None
):
    """One OVERDUE_NOTICE request per family among the defaulters the filters select: the students'
    primary guardian gets one message listing every overdue invoice of their children and what the
    family owes in all. At most one per family per school-local day, however often it is pressed.
    Three reads and one insert whatever the number of defaulters.

    Returns {"families", "requested", "already_reminded", "without_guardian"}: families with a
    primary guardian among the defaulters, how many were asked for now, how many had been today,
    and how many defaulting students have no primary guardian to tell."""
    today = today or school.local_today()
    rows = list(
        defaulters(
            school=school,
            term_id=term_id,
            class_group_id=class_group_id,
            min_days_overdue=min_days_overdue,
            min_amount_due=min_amount_due,
            today=today,
        ).values_list("number", "student_id", "student__first_name", "student__last_name", "balance", "due_date")
    )
    primary = {
        student_id: (guardian_id, f"{first} {last}".strip())
        for student_id, guardian_id, first, last in StudentGuardian.objects.for_school(school)
        .filter(student_id__in={row[1] for row in rows}, is_primary=True)
        .values_list("student_id", "guardian_id", "guardian__first_name", "guardian__last_name")
    }
    families, orphans = {}, set()
    for number, student_id, first, last, balance, due in rows:
        if student_id not in primary:
            orphans.add(student_id)
            continue
        guardian_id, guardian_name = primary[student_id]
        family = families.setdefault(guardian_id, {"name": guardian_name, "invoices": [], "total": 0})
        family["invoices"].append(
            {
                "student": f"{first} {last}".strip(),
                "invoice_number": number,
                # Typed, not formatted: messaging writes amounts and dates in each guardian's language.
                "balance": {"money": [int(balance), school.currency]},
                "due_date": due.isoformat(),
                "days_overdue": (today - due).days,
            }
        )
        family["total"] += balance
    # Ascending guardian order: two presses at once then wait on each other's rows instead of deadlocking.
    keys = {guardian_id: _reminder_key(guardian_id, today) for guardian_id in sorted(families)}
    requests = [
        {
            "template": REMINDER_TEMPLATE,
            "guardian_ids": [guardian_id],
            "dedupe_key": key,
            "reason": "collections.reminders_requested",
            "context": {
                "school_name": school.name,
                "guardian_name": families[guardian_id]["name"],
                "invoices": families[guardian_id]["invoices"],
                "total": {"money": [int(families[guardian_id]["total"]), school.currency]},
                "total_minor": families[guardian_id]["total"],
                "currency": school.currency,
                "date": {"date": today.isoformat()},
            },
        }
        for guardian_id, key in keys.items()
    ]
    requested = request_messages_once(school=school, requests=requests)
    result = {
        "families": len(families),
        "requested": requested,
        "already_reminded": len(families) - requested,
        "without_guardian": len(orphans),
    }
    filters = {
        "term": term_id,
        "class_group": class_group_id,
        "min_days_overdue": min_days_overdue,
        "min_amount_due": min_amount_due,
    }
    audit(
        school=school,
        actor=actor,
        action="collections.reminders_requested",
        changes={**result, "date": today.isoformat(), "invoices": len(rows), "filters": filters},
    )
    return result
