"""Writing the KPI sinks: one school-local day (or a range) of the funnel (RegistrationKpiDaily) and
of money (RevenueDaily), computed from the source tables and upserted, so running it again for the
same day rewrites the same row; and the hourly schedule behind "daily at 02:00 school time"."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from classpoint.days import DAY, each_day
from classpoint.scoping import for_school, unscoped
from fees import selectors as fees_selectors
from payments import selectors as payments_selectors
from schools.models import School

from ..models import RegistrationKpiDaily, RevenueDaily
from .funnel import MOVES, leads_by_day, moves_by_day

logger = logging.getLogger(__name__)

REGISTRATION_FIELDS = ("leads", *MOVES)
REVENUE_FIELDS = ("collected_minor", "payments", "invoiced_minor", "outstanding_minor", "overdue_invoices")
UPSERT_BATCH = 1000


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
    collected = payments_selectors.transactions_collected_by_day(school=school, start=start, end=end)
    balances = fees_selectors.invoices_balances_by_day(school=school, start=start, end=end)
    overdue = fees_selectors.invoices_overdue_by_day(school=school, start=start, end=end)
    now = timezone.now()
    registration, revenue = [], []
    for day in each_day(start, end):
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
