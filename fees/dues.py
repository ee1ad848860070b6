"""When an invoice falls due. One rule for every way an invoice is made (single, bulk batch,
registrar approval, API): the fee schedule's date, unless that date has already passed on the day
of issue, when the family gets the school's `invoice_due_days` from that day. An invoice is never
born overdue, so it can reach neither the defaulters list nor an overdue reminder on the day it
is sent."""

import datetime

DEFAULT_DUE_DAYS = 14


def due_days(school):
    # A school provisioned without a profile still gets the default, not an error.
    profile = getattr(school, "profile", None)
    return profile.invoice_due_days if profile is not None else DEFAULT_DUE_DAYS


def scheduled_due_date(*, lines, term):
    """The date the schedule asks for: its earliest line due date, else the term's first day."""
    return min((line.due_date for line in lines if line.due_date), default=term.start_date)


def invoice_due_date(*, school, scheduled, issued_on, days=None):
    """`scheduled` if it is still ahead on `issued_on` (or that day), else `issued_on` plus the
    school's days to pay. `days` saves the profile look-up when a batch prices many invoices."""
    if scheduled is not None and scheduled >= issued_on:
        return scheduled
    return issued_on + datetime.timedelta(days=due_days(school) if days is None else days)


def issue_due_date(*, invoice, issued_on):
    """The due date of a draft issued on `issued_on`. A draft's own date is provisional: when it is
    the one its creation gave (the schedule's date by the rule on the day the draft was made), the
    rule runs again from the schedule's date on the day of issue; a date someone chose (through
    the API, or an instalment plan) stands while it is still ahead."""
    school = invoice.school
    scheduled = scheduled_due_date(lines=invoice.lines.all(), term=invoice.term)
    created_on = invoice.created_at.astimezone(school.tzinfo).date()
    if invoice.due_date is None or invoice.due_date == invoice_due_date(
        school=school, scheduled=scheduled, issued_on=created_on
    ):
        return invoice_due_date(school=school, scheduled=scheduled, issued_on=issued_on)
    return invoice_due_date(school=school, scheduled=invoice.due_date, issued_on=issued_on)
