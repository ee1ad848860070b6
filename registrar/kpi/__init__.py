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

Here: the funnel by day (`funnel`), writing the sinks and their schedule (`aggregate`), the
dashboard's figures (`dashboard`). Money comes from `fees.selectors` (invoiced, outstanding,
overdue) and `payments.selectors` (collected), each app answering for its own tables. The names
below are what the rest of registrar, the schedule ("registrar.kpi.kpi_aggregate_due_schools") and
the command use.
"""

from .aggregate import (
    REGISTRATION_FIELDS,
    REVENUE_FIELDS,
    kpi_aggregate,
    kpi_aggregate_due_schools,
    kpi_backfill,
    kpi_seed_demo,
)
from .dashboard import PERIODS, dashboard_summary, link_for, rail_for

__all__ = [
    "PERIODS",
    "REGISTRATION_FIELDS",
    "REVENUE_FIELDS",
    "dashboard_summary",
    "kpi_aggregate",
    "kpi_aggregate_due_schools",
    "kpi_backfill",
    "kpi_seed_demo",
    "link_for",
    "rail_for",
]
