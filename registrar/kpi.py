"""KPI sinks and the school dashboard's figures.

One school-local day of the admissions funnel (RegistrationKpiDaily) and of money (RevenueDaily) is
computed from the source tables and upserted, so running it again for the same day rewrites the
same row. Days are the school's: a day runs from `School.local_day_start(day)` to the next one's.
Every figure of a range comes from a handful of grouped queries, whatever the number of days or
rows, so a two-year backfill costs about what one day does.

What a day holds:
- leads: applications submitted that day; in_review ... withdrawn: status moves *to* that status
  that day (ApplicationEvent rows of kind "status"; a move back and forth counts each time).
- collected_minor: payments confirmed that day (their `confirmed_at`) minus payments reversed that
  day (their `reversed_at`). payments: the number of payments confirmed that day (a payment
  reversed later still counted the day it came in).
- invoiced_minor: totals of the invoices issued that day (issue_date) that are not void today.
- outstanding_minor: what those invoices still owed at the end of the day: their totals less the
  money allocated to them (fees' Allocation ledger, which adds up to each invoice's paid) by then.
  Exact for the ledger; what it cannot know is the past of today's state: an invoice voided since,
  or re-priced by a later discount, counts as it is today.
- overdue_invoices: invoices due before the day and not paid off at its end. "Paid off" is read as
  the invoice's last allocation for invoices paid in full today; an invoice owing today counts as
  unpaid on every past day after its due date (a payment that was later reversed is not seen).

The dashboard reads the sinks for past days and computes only today live, with the same functions.
"""

import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from classpoint.models import OutboxEvent
from classpoint.money import format_money
from classpoint.scoping import for_school, unscoped
from fees.models import Allocation, Invoice, OwingDelta
from messaging.models import Message
from payments import selectors as payments_selectors
from payments.models import PaymentProof, PaymentTransaction
from schools.models import School

from .models import OPEN_STATUSES, Application, ApplicationEvent, RegistrationKpiDaily, RevenueDaily

logger = logging.getLogger(__name__)

DAY = datetime.timedelta(days=1)
PERIODS = (30, 90, 365)
MOVES = ("in_review", "needs_info", "approved", "converted", "rejected", "withdrawn")
REGISTRATION_FIELDS = ("leads", *MOVES)
REVENUE_FIELDS = ("collected_minor", "payments", "invoiced_minor", "outstanding_minor", "overdue_invoices")
# Invoices that bill someone: issued, whatever has been paid since.
LIVE_INVOICES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID, Invoice.Status.PAID)
CONFIRMED = (PaymentTransaction.Status.CONFIRMED, PaymentTransaction.Status.REVERSED)
STALE_AFTER = datetime.timedelta(days=3)
UPSERT_BATCH = 1000


def _days(start, end):
    day = start
    while day <= end:
        yield day
        day += DAY


def _bounds(school, start, end):
    return school.local_day_start(start), school.local_day_start(end + DAY)


def _local_day(expression, school):
    return TruncDate(expression, tzinfo=school.tzinfo)


# --- the funnel -----------------------------------------------------------------------------------


def leads_by_day(*, school, start, end):
    since, until = _bounds(school, start, end)
    rows = (
        Application.objects.for_school(school)
        .filter(submitted_at__gte=since, submitted_at__lt=until)
        .annotate(day=_local_day("submitted_at", school))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def moves_by_day(*, school, start, end):
    """{day: {status: moves to it}}."""
    since, until = _bounds(school, start, end)
    rows = (
        ApplicationEvent.objects.for_school(school)
        .filter(kind=ApplicationEvent.Kind.STATUS, at__gte=since, at__lt=until, to_status__in=MOVES)
        .annotate(day=_local_day("at", school))
        .values("day", "to_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = defaultdict(dict)
    for row in rows:
        found[row["day"]][row["to_status"]] = row["n"]
    return found


# --- money ----------------------------------------------------------------------------------------


def collected_by_day(*, school, start, end):
    """{day: (collected_minor, payments)}: confirmed that day less reversed that day."""
    since, until = _bounds(school, start, end)
    found = defaultdict(lambda: [0, 0])
    confirmed = (
        PaymentTransaction.objects.for_school(school)
        .filter(confirmed_at__gte=since, confirmed_at__lt=until, status__in=CONFIRMED)
        .annotate(day=_local_day("confirmed_at", school))
        .values("day")
        .annotate(amount=Sum("amount_minor"), n=Count("id"))
        .order_by()
    )
    for row in confirmed:
        found[row["day"]][0] += row["amount"]
        found[row["day"]][1] += row["n"]
    reversed_ = (
        PaymentTransaction.objects.for_school(school)
        .filter(reversed_at__gte=since, reversed_at__lt=until)
        .annotate(day=_local_day("reversed_at", school))
        .values("day")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )
    for row in reversed_:
        found[row["day"]][0] -= row["amount"] or 0
    return {day: tuple(values) for day, values in found.items()}


def balances_by_day(*, school, start, end):
    """{day: (invoiced_minor, outstanding_minor)}: the opening balance before `start`, then each
    day's invoices issued less the money allocated to issued invoices that day. An allocation made
    before its invoice's issue date (never in practice) counts on the issue date."""
    since, until = _bounds(school, start, end)
    live = Invoice.objects.for_school(school).filter(status__in=LIVE_INVOICES, issue_date__isnull=False)
    allocations = Allocation.objects.for_school(school).filter(
        invoice__status__in=LIVE_INVOICES, invoice__issue_date__isnull=False
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
        .annotate(day=_local_day("created_at", school))
        .values("day", "invoice__issue_date")
        .annotate(s=Sum("amount_minor"))
        .order_by()
    )
    for row in moving:
        paid[max(row["day"], row["invoice__issue_date"])] += row["s"]
    running = billed_before - paid_before
    found = {}
    for day in _days(start, end):
        running += invoiced.get(day, 0) - paid[day]
        found[day] = (invoiced.get(day, 0), running)
    return found


def overdue_by_day(*, school, start, end):
    """{day: invoices due before the day and not paid off at its end}. Each invoice is overdue from
    the day after its due date (or its issue date, if issued late) until the day it was paid off."""
    since, _ = _bounds(school, start, end)
    base = Invoice.objects.for_school(school).filter(status__in=LIVE_INVOICES, issue_date__lte=end, due_date__lt=end)
    owing = base.filter(total_minor__gt=F("paid_minor")).values("due_date", "issue_date").annotate(n=Count("id"))
    last_paid = Subquery(
        Allocation.objects.filter(invoice=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    )
    settled = (
        base.filter(
            total_minor__lte=F("paid_minor"),
            pk__in=Allocation.objects.for_school(school).filter(created_at__gte=since).values("invoice_id"),
        )
        .annotate(settled_day=_local_day(last_paid, school))
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
    for day in _days(start, end):
        running += starts.get(day, 0) - ends.get(day, 0)
        found[day] = running
    return found


# --- writing the sinks ----------------------------------------------------------------------------


@transaction.atomic
def kpi_backfill(*, school, start, end):
    """Compute and upsert both sinks for every school-local day from `start` to `end` (inclusive);
    days without activity get zero rows. Returns the number of days written. Days after the
    school's today have nothing to say yet and are refused."""
    if start > end:
        raise ValueError(f"The range starts after it ends ({start} > {end}).")
    if end > school.local_today():
        raise ValueError(f"{end} has not happened yet at {school.slug} (today there is {school.local_today()}).")
    leads = leads_by_day(school=school, start=start, end=end)
    moves = moves_by_day(school=school, start=start, end=end)
    collected = collected_by_day(school=school, start=start, end=end)
    balances = balances_by_day(school=school, start=start, end=end)
    overdue = overdue_by_day(school=school, start=start, end=end)
    now = timezone.now()
    registration, revenue = [], []
    for day in _days(start, end):
        day_moves = moves.get(day, {})
        registration.append(
            RegistrationKpiDaily(
                school=school,
                day=day,
                leads=leads.get(day, 0),
                computed_at=now,
                **{status: day_moves.get(status, 0) for status in MOVES},
            )
        )
        amount, payments = collected.get(day, (0, 0))
        invoiced, outstanding = balances[day]
        revenue.append(
            RevenueDaily(
                school=school,
                day=day,
                currency=school.currency,
                collected_minor=amount,
                payments=payments,
                invoiced_minor=invoiced,
                outstanding_minor=outstanding,
                overdue_invoices=overdue[day],
                computed_at=now,
            )
        )
    RegistrationKpiDaily.objects.bulk_create(
        registration,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["school", "day"],
        update_fields=[*REGISTRATION_FIELDS, "computed_at"],
    )
    RevenueDaily.objects.bulk_create(
        revenue,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["school", "day"],
        update_fields=["currency", *REVENUE_FIELDS, "computed_at"],
    )
    return len(registration)


def kpi_aggregate(*, school, day):
    """Compute and upsert one school-local day; returns its (RegistrationKpiDaily, RevenueDaily)."""
    kpi_backfill(school=school, start=day, end=day)
    return (
        RegistrationKpiDaily.objects.for_school(school).get(day=day),
        RevenueDaily.objects.for_school(school).get(day=day),
    )


def kpi_aggregate_due_schools(now=None):
    """The hourly schedule behind "daily at 02:00 school time" (KPI_AGGREGATE_LOCAL_HOUR).

    Schools keep their own time zones, so one daily run at a fixed UTC hour would cut some schools'
    days in the middle. Instead it runs every hour and aggregates yesterday for each active school
    whose local clock shows that hour. Later in the day it also takes any school whose yesterday
    still has no rows (the scheduler was down at its hour, or the school was added since), so a
    missed night is caught up at the next run; before that hour it waits, leaving the night's late
    work (the outbox applying payments) time to land. Re-running a day rewrites the same rows. One
    school's failure is logged and does not stop the others.
    Returns {"aggregated": [slugs], "failed": [slugs]}."""
    now = now or timezone.now()
    hour = settings.KPI_AGGREGATE_LOCAL_HOUR
    schools = list(School.objects.filter(status=School.Status.ACTIVE).order_by("slug"))
    yesterdays = {s.pk: now.astimezone(s.tzinfo).date() - DAY for s in schools}
    # Across schools on purpose: this job serves all of them, two queries for the lot.
    days = set(yesterdays.values())
    with unscoped(reason="which schools already have their day: one look across all of them"):
        written = set(RegistrationKpiDaily.objects.filter(day__in=days).values_list("school_id", "day")) & set(
            RevenueDaily.objects.filter(day__in=days).values_list("school_id", "day")
        )
    done, failed = [], []
    for school in schools:
        local_hour = now.astimezone(school.tzinfo).hour
        missing = (school.pk, yesterdays[school.pk]) not in written
        if not (local_hour == hour or (local_hour > hour and missing)):
            continue
        try:
            with for_school(school):
                kpi_aggregate(school=school, day=yesterdays[school.pk])
            done.append(school.slug)
        except Exception:  # noqa: BLE001 - one school's failure must not leave every other school without its day
            logger.exception("KPI aggregation failed for %s", school.slug)
            failed.append(school.slug)
    return {"aggregated": done, "failed": failed}


def kpi_seed_demo(*, school, days=365):
    """Backfill the last `days` days before today from whatever the demo data holds (seed_demo)."""
    yesterday = school.local_today() - DAY
    return kpi_backfill(school=school, start=yesterday - datetime.timedelta(days=days - 1), end=yesterday)


# --- the dashboard --------------------------------------------------------------------------------


def _owing_now(school, today):
    """(outstanding_minor, overdue invoices) now. On PostgreSQL from fees' running totals (a few
    hundred rows whatever the number of invoices); on SQLite from the open invoices."""
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


def _pipeline_now(school, now):
    counts = (
        Application.objects.for_school(school)
        .filter(status__in=OPEN_STATUSES)
        .aggregate(
            in_review=Count("id", filter=Q(status=Application.Status.IN_REVIEW)),
            needs_info=Count("id", filter=Q(status=Application.Status.NEEDS_INFO)),
            approved=Count("id", filter=Q(status=Application.Status.APPROVED)),
            stale=Count("id", filter=Q(status_changed_at__lt=now - STALE_AFTER)),
        )
    )
    return counts


def _percent(numerator, denominator):
    if not denominator:
        return None
    return round(numerator * 100 / denominator, 1)


def _links(school, start, today):
    """Per tile and rail item: the filtered lists behind it, best first, each with the permission
    it needs (the first one the member may open is used)."""
    slug = school.slug
    # The registrar board's filters: `status`, `class_level`, `from`, `to` (submitted, school-local),
    # `duplicates`, `missing`, `stale` and `q`.
    board = reverse("registrar-board", args=[slug])
    period = f"from={start.isoformat()}&to={today.isoformat()}"
    board_perm = "registrar.manage_applications"
    invoices = [(reverse("invoices-list", args=[slug]), "fees.view")]
    failed = reverse("message-log", args=[slug]) + f"?status=failed&date_from={start.isoformat()}"
    return {
        "leads": [(f"{board}?{period}", board_perm)],
        "new_this_week": [(f"{board}?from={(today - 6 * DAY).isoformat()}&to={today.isoformat()}", board_perm)],
        "in_review": [(f"{board}?status=in_review", board_perm)],
        "needs_info": [(f"{board}?status=needs_info", board_perm)],
        "approved": [(f"{board}?status=approved", board_perm)],
        "conversion_rate": [(f"{board}?status=converted&{period}", board_perm)],
        "enrollments": [(f"{board}?status=converted", board_perm)],
        # Each payment confirmed or reversed in the period is an audit entry with its amount.
        "revenue": [
            (
                reverse("audit-log", args=[slug]) + f"?action_prefix=payment.&date_from={start.isoformat()}"
                f"&date_to={today.isoformat()}",
                "audit.view",
            ),
            *invoices,
        ],
        "outstanding": invoices,
        "overdue": [(reverse("defaulters", args=[slug]), "fees.view")],
        "failed_messages": [(failed, "messaging.send")],
        "stale": [(f"{board}?stale=1", board_perm)],
        "proofs": [(reverse("proofs-queue", args=[slug]) + "?status=pending", "payments.review_proofs")],
        "flagged": [(reverse("flagged-payments", args=[slug]), "payments.review_proofs")],
        "dead_events": [],
    }


def link_for(links, membership):
    """The first of `links` the member's role may open, or None."""
    for url, perm in links:
        if membership is not None and membership.has_perm(perm):
            return url
    return None


def rail_for(summary, membership):
    """The action rail as this member sees it: each item with its link (see `link_for`), without
    the items kept for a permission the member lacks (`only_for`)."""
    return [
        {**item, "url": link_for(summary["links"][item["key"]], membership)}
        for item in summary["rail"]
        if "only_for" not in item or (membership is not None and membership.has_perm(item["only_for"]))
    ]


def dashboard_summary(*, school, days):
    """Tiles, daily series and the action rail for the last `days` days (today included). Days
    before today come from the sinks (one query per sink); today is computed live with the same
    functions the aggregation uses; "now" figures (pipeline, balances, queues) are live counts
    over indexes. Links are given per item as [(url, permission)] (see `link_for`)."""
    if days not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    now = timezone.now()
    today = school.local_today()
    start = today - (days - 1) * DAY
    week_start = today - 6 * DAY
    registration = {
        row["day"]: row
        for row in RegistrationKpiDaily.objects.for_school(school)
        .filter(day__gte=start, day__lt=today)
        .values("day", "leads", "converted", "computed_at")
    }
    revenue = {
        row["day"]: row
        for row in RevenueDaily.objects.for_school(school)
        .filter(day__gte=start, day__lt=today)
        .values("day", "collected_minor", "payments", "computed_at")
    }
    today_leads = leads_by_day(school=school, start=today, end=today).get(today, 0)
    today_converted = moves_by_day(school=school, start=today, end=today).get(today, {}).get("converted", 0)
    today_collected, today_payments = collected_by_day(school=school, start=today, end=today).get(today, (0, 0))

    registration[today] = {"leads": today_leads, "converted": today_converted}
    revenue[today] = {"collected_minor": today_collected, "payments": today_payments}
    series = [
        {
            "day": day,
            "leads": registration.get(day, {}).get("leads", 0),
            "converted": registration.get(day, {}).get("converted", 0),
            "collected_minor": revenue.get(day, {}).get("collected_minor", 0),
            "payments": revenue.get(day, {}).get("payments", 0),
        }
        for day in _days(start, today)
    ]
    leads = sum(point["leads"] for point in series)
    converted = sum(point["converted"] for point in series)
    collected = sum(point["collected_minor"] for point in series)
    new_this_week = sum(point["leads"] for point in series if point["day"] >= week_start)

    pipeline = _pipeline_now(school, now)
    outstanding, overdue = _owing_now(school, today)
    since = school.local_day_start(start)
    failed = Message.objects.for_school(school).filter(status=Message.Status.FAILED, created_at__gte=since)
    failed_messages = failed.count()
    proofs = PaymentProof.objects.for_school(school).filter(status=PaymentProof.Status.PENDING).count()
    flagged = payments_selectors.flagged_count(school=school)
    dead_events = OutboxEvent.objects.filter(school=school, dead_at__isnull=False).count()

    # Past days the nightly run should have written but has not (a new school has no past to miss).
    opened = timezone.localtime(school.created_at, school.tzinfo).date()
    expected = [day for day in _days(max(start, opened), today - DAY)]
    missing_days = sum(1 for day in expected if day not in registration or day not in revenue)
    computed = [row["computed_at"] for row in (*registration.values(), *revenue.values()) if "computed_at" in row]

    period = f"last {days} days"
    currency = school.currency
    rate = _percent(converted, leads)
    tiles = [
        _tile("leads", "Leads", leads, period),
        _tile("new_this_week", "New this week", new_this_week, "last 7 days"),
        _tile("in_review", "In review", pipeline["in_review"], "now"),
        _tile("needs_info", "Needs info", pipeline["needs_info"], "now"),
        _tile("approved", "Approved, not yet enrolled", pipeline["approved"], "now"),
        _tile(
            "conversion_rate",
            "Conversion rate",
            rate,
            period,
            unit="percent",
            display="—" if rate is None else f"{rate:.1f}%",
            hint=f"{converted:,} enrolled of {leads:,} leads",
        ),
        _tile("enrollments", "Enrollments", converted, period),
        _tile(
            "revenue", "Revenue collected", collected, period, unit="minor", display=format_money(collected, currency)
        ),
        _tile(
            "outstanding",
            "Outstanding balance",
            outstanding,
            "now",
            unit="minor",
            display=format_money(outstanding, currency),
        ),
        _tile("overdue", "Overdue invoices", overdue, "now"),
        _tile("failed_messages", "Failed messages", failed_messages, period),
    ]
    rail = [
        {"key": "stale", "label": "Applications with no move for over 3 days", "count": pipeline["stale"]},
        {"key": "proofs", "label": "Transfer proofs awaiting review", "count": proofs},
        # Only for whoever can resolve them: nobody else can do anything about a flagged payment.
        {
            "key": "flagged",
            "label": "Flagged payments to resolve",
            "count": flagged,
            "only_for": "payments.review_proofs",
        },
        {"key": "failed_messages", "label": f"Failed messages ({period})", "count": failed_messages},
        {
            "key": "dead_events",
            "label": "Dead background events (the platform team can retry them)",
            "count": dead_events,
        },
    ]
    return {
        "period_days": days,
        "start": start,
        "today": today,
        "currency": currency,
        "tiles": tiles,
        "series": series,
        "rail": rail,
        "links": _links(school, start, today),
        "sinks_computed_at": max(computed) if computed else None,
        "missing_days": missing_days,
    }


def _tile(key, label, value, period, *, unit="count", display=None, hint=""):
    return {
        "key": key,
        "label": label,
        "value": value,
        "unit": unit,
        "period": period,
        "display": display if display is not None else f"{value:,}",
        "hint": hint,
    }
