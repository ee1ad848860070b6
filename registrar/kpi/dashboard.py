"""The school dashboard's figures: tiles, daily series and the action rail. Past days come from the
KPI sinks; today is computed live with the functions the aggregation uses; "now" figures are live
counts read from each domain's selectors."""

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academics.attendance import selectors as attendance_selectors
from classpoint.days import DAY, each_day
from classpoint.models import OutboxEvent
from classpoint.money import format_money
from fees import selectors as fees_selectors
from messaging import selectors as messaging_selectors
from payments import selectors as payments_selectors

from ..models import OPEN_STATUSES, Application, RegistrationKpiDaily, RevenueDaily
from .funnel import leads_by_day, moves_by_day

PERIODS = (30, 90, 365)
STALE_AFTER = datetime.timedelta(days=3)


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
        "registers_missing": [
            (reverse("attendance-completeness", args=[slug]), "academics.manage_attendance"),
            (reverse("attendance-today", args=[slug]), "academics.record_attendance"),
        ],
        "attendance_rate": [(reverse("attendance-day", args=[slug]), "academics.manage_attendance")],
        "interventions": [(reverse("intervention-list", args=[slug]), "academics.manage_attendance")],
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
    today_collected, today_payments = payments_selectors.transactions_collected_by_day(
        school=school, start=today, end=today
    ).get(today, (0, 0))

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
        for day in each_day(start, today)
    ]
    leads = sum(point["leads"] for point in series)
    converted = sum(point["converted"] for point in series)
    collected = sum(point["collected_minor"] for point in series)
    new_this_week = sum(point["leads"] for point in series if point["day"] >= week_start)

    pipeline = _pipeline_now(school, now)
    outstanding, overdue = fees_selectors.invoices_owing_now(school=school, today=today)
    failed_messages = messaging_selectors.messages_failed_count(school=school, since=school.local_day_start(start))
    proofs = payments_selectors.proofs_pending_count(school=school)
    flagged = payments_selectors.flagged_count(school=school)
    dead_events = OutboxEvent.objects.filter(school=school, dead_at__isnull=False).count()
    registers_taken, registers_expected = attendance_selectors.registers_progress(school=school, date=today)
    attended, marked = attendance_selectors.attendance_rate(school=school, start=start, end=today, today=today)
    interventions = attendance_selectors.interventions_to_send_count(school=school)

    # Past days the nightly run should have written but has not (a new school has no past to miss).
    opened = timezone.localtime(school.created_at, school.tzinfo).date()
    expected = [day for day in each_day(max(start, opened), today - DAY)]
    missing_days = sum(1 for day in expected if day not in registration or day not in revenue)
    computed = [row["computed_at"] for row in (*registration.values(), *revenue.values()) if "computed_at" in row]

    period = ngettext("last %(days)d day", "last %(days)d days", days) % {"days": days}
    currency = school.currency
    rate = _percent(converted, leads)
    tiles = [
        _tile("leads", _("Leads"), leads, period),
        _tile("new_this_week", _("New this week"), new_this_week, _("last 7 days")),
        _tile("in_review", _("In review"), pipeline["in_review"], _("now")),
        _tile("needs_info", _("Needs info"), pipeline["needs_info"], _("now")),
        _tile("approved", _("Approved, not yet enrolled"), pipeline["approved"], _("now")),
        _tile(
            "conversion_rate",
            _("Conversion rate"),
            rate,
            period,
            unit="percent",
            display="—" if rate is None else f"{rate:.1f}%",
            hint=_("%(converted)s enrolled of %(leads)s leads")
            % {"converted": f"{converted:,}", "leads": f"{leads:,}"},
        ),
        _tile("enrollments", _("Enrollments"), converted, period),
        _tile(
            "revenue",
            _("Revenue collected"),
            collected,
            period,
            unit="minor",
            display=format_money(collected, currency),
        ),
        _tile(
            "outstanding",
            _("Outstanding balance"),
            outstanding,
            _("now"),
            unit="minor",
            display=format_money(outstanding, currency),
        ),
        _tile("overdue", _("Overdue invoices"), overdue, _("now")),
        _tile("failed_messages", _("Failed messages"), failed_messages, period),
        _tile(
            "attendance_rate",
            _("Attendance"),
            _percent(attended, marked),
            period,
            unit="percent",
            display="—" if not marked else f"{attended * 100 / marked:.1f}%",
            hint=_("%(attended)s of %(marked)s pupil-days at school")
            % {"attended": f"{attended:,}", "marked": f"{marked:,}"},
        ),
        _tile(
            "registers_missing",
            _("Registers not yet taken"),
            registers_expected - registers_taken,
            _("today"),
            hint=_("%(taken)s of %(expected)s taken")
            % {"taken": f"{registers_taken:,}", "expected": f"{registers_expected:,}"},
        ),
    ]
    rail = [
        {"key": "stale", "label": _("Applications with no move for over 3 days"), "count": pipeline["stale"]},
        {"key": "proofs", "label": _("Transfer proofs awaiting review"), "count": proofs},
        # Only for whoever can resolve them: nobody else can do anything about a flagged payment.
        {
            "key": "flagged",
            "label": _("Flagged payments to resolve"),
            "count": flagged,
            "only_for": "payments.review_proofs",
        },
        {
            "key": "registers_missing",
            "label": _("Registers not yet taken today"),
            "count": registers_expected - registers_taken,
        },
        {
            "key": "interventions",
            "label": _("Truancy letters and referrals to send"),
            "count": interventions,
            "only_for": "academics.manage_attendance",
        },
        {
            "key": "failed_messages",
            "label": _("Failed messages (%(period)s)") % {"period": period},
            "count": failed_messages,
        },
        {
            "key": "dead_events",
            "label": _("Dead background events (the platform team can retry them)"),
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
