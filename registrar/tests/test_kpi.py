"""KPI sinks: one school-local day of the funnel and of money, upserted; backfill; the command and
the hourly schedule behind "daily at 02:00 school time"."""

import datetime
import io
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from classpoint.outbox import worker
from classpoint.schedules import all_schedules
from fees import services as fees
from fees.models import Allocation, Invoice
from payments import services as payments
from payments.models import PaymentTransaction
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)
from registrar import kpi
from registrar.models import Application, ApplicationEvent, RegistrationKpiDaily, RevenueDaily
from registrar.schedules import SCHEDULES

pytestmark = pytest.mark.django_db

LIMA = "America/Lima"  # UTC-5 all year: a school-local day ends five hours after UTC's
DAY1 = datetime.timedelta(days=1)
_refs = iter(range(1, 10_000))


def at(school, day, hour, minute=0):
    """A moment given in the school's own clock."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(school.timezone))


def application(school, submitted_at, **fields):
    return Application.objects.create(
        school=school,
        reference=f"APP-{next(_refs):06d}",
        first_name="Tobi",
        last_name="Okafor",
        date_of_birth=datetime.date(2014, 1, 2),
        gender="male",
        class_level="JSS 1",
        submitted_at=submitted_at,
        status_changed_at=submitted_at,
        **fields,
    )


def move(app, to_status, moment, from_status="pending"):
    return ApplicationEvent.objects.create(
        school=app.school, application=app, kind="status", from_status=from_status, to_status=to_status, at=moment
    )


def pay(invoice, amount_minor, moment, *, allocate=True):
    """A payment confirmed at `moment` and, like fees' handler does, applied to the invoice then."""
    tx = PaymentTransaction.objects.create(
        school=invoice.school,
        invoice=invoice,
        kind="cash",
        amount_minor=amount_minor,
        currency="NGN",
        status="confirmed",
        confirmed_at=moment,
    )
    if allocate:
        fees.invoice_apply_payment(
            school=invoice.school, invoice_id=invoice.pk, transaction_id=tx.pk, amount_minor=amount_minor
        )
        Allocation.objects.filter(transaction_id=tx.pk).update(created_at=moment)
    return tx


@pytest.fixture
def lima(school):
    school.timezone = LIMA
    school.save(update_fields=["timezone"])
    return school


@pytest.fixture
def story(lima, other_school, invoice):
    """Ten days ago at Greenfield (in Lima): applications and moves on both sides of local midnight,
    an invoice issued five days before, part-paid that evening, paid off after midnight, and a
    payment confirmed and reversed the same day. Riverside does the same things on the same day."""
    school = lima
    day = school.local_today() - datetime.timedelta(days=10)
    a1 = application(school, at(school, day, 0, 10))
    a2 = application(school, at(school, day, 23, 50))  # 04:50 UTC the next day: still this school's day
    a3 = application(school, at(school, day - DAY1, 23, 50))  # 04:50 UTC on `day`: the day before here
    a4 = application(school, at(school, day + DAY1, 0, 5))
    move(a1, "in_review", at(school, day, 9))
    move(a1, "needs_info", at(school, day, 10), "in_review")
    move(a1, "in_review", at(school, day, 11), "needs_info")
    move(a2, "rejected", at(school, day, 12))
    move(a1, "approved", at(school, day, 23, 59), "in_review")
    move(a3, "converted", at(school, day - DAY1, 23, 59), "approved")
    move(a3, "withdrawn", at(school, day + DAY1, 0, 30))
    move(a1, "pending", at(school, day, 13))  # not a KPI move
    ApplicationEvent.objects.create(
        school=school, application=a1, kind="note", to_status="approved", at=at(school, day, 14)
    )

    Invoice.objects.filter(pk=invoice.pk).update(issue_date=day - 5 * DAY1, due_date=day - 2 * DAY1)
    pay(invoice, 4_000_000, at(school, day, 23, 30))
    pay(invoice, 6_000_000, at(school, day + DAY1, 0, 30))
    bounced = pay(invoice, 1_000_000, at(school, day, 8), allocate=False)
    PaymentTransaction.objects.filter(pk=bounced.pk).update(status="reversed", reversed_at=at(school, day, 15))

    # Riverside, the same day: none of it is Greenfield's.
    application(other_school, at(school, day, 12))
    pay(_riverside_invoice(other_school), 500_000, at(school, day, 12))
    return {"school": school, "day": day, "invoice": invoice, "apps": (a1, a2, a3, a4)}


def _riverside_invoice(other_school):
    term, group = other_school.current_term(), other_school.class_groups.get()
    item = fees.fee_item_create(school=other_school, actor=None, code="tuition", name="Tuition")
    fees.fee_schedule_create(
        school=other_school,
        actor=None,
        term=term,
        class_group=group,
        name="JSS1",
        lines=[{"fee_item": item, "amount_minor": 2_000_000}],
    )
    draft = fees.invoice_create(school=other_school, actor=None, student=other_school.students.get(), term=term)
    return fees.invoice_issue(invoice=draft, actor=None)


def _funnel(row):
    return {field: getattr(row, field) for field in kpi.REGISTRATION_FIELDS}


def _money(row):
    return {field: getattr(row, field) for field in kpi.REVENUE_FIELDS}


def test_a_day_is_counted_between_the_schools_own_midnights(story):
    # given a day of applications, moves, payments and a reversal in Lima
    school, day = story["school"], story["day"]
    # when it is aggregated
    registration, revenue = kpi.kpi_aggregate(school=school, day=day)
    # then the funnel counts what happened between Lima's midnights, moves by their target status
    assert _funnel(registration) == {
        "leads": 2,
        "in_review": 2,
        "needs_info": 1,
        "approved": 1,
        "converted": 0,
        "rejected": 1,
        "withdrawn": 0,
    }
    # and money: 40,000 + 10,000 confirmed, the 10,000 reversed the same day; the invoice owes 60,000
    # at the end of the day and has been overdue since its due date two days before
    assert _money(revenue) == {
        "collected_minor": 4_000_000,
        "payments": 2,
        "invoiced_minor": 0,
        "outstanding_minor": 6_000_000,
        "overdue_invoices": 1,
    }
    assert revenue.currency == "NGN" and registration.school_id == school.pk


def test_the_days_around_it_get_what_crossed_midnight(story):
    school, day = story["school"], story["day"]
    before, _ = kpi.kpi_aggregate(school=school, day=day - DAY1)
    after, after_money = kpi.kpi_aggregate(school=school, day=day + DAY1)
    assert before.leads == 1 and before.converted == 1
    assert after.leads == 1 and after.withdrawn == 1
    # paid off after midnight: nothing outstanding, no longer overdue
    assert _money(after_money) == {
        "collected_minor": 6_000_000,
        "payments": 1,
        "invoiced_minor": 0,
        "outstanding_minor": 0,
        "overdue_invoices": 0,
    }
    _, issued = kpi.kpi_aggregate(school=school, day=day - 5 * DAY1)
    assert _money(issued) == {
        "collected_minor": 0,
        "payments": 0,
        "invoiced_minor": 10_000_000,
        "outstanding_minor": 10_000_000,
        "overdue_invoices": 0,
    }
    _, past_due = kpi.kpi_aggregate(school=school, day=day - DAY1)
    assert past_due.overdue_invoices == 1 and past_due.outstanding_minor == 10_000_000
    _, due_day = kpi.kpi_aggregate(school=school, day=day - 2 * DAY1)
    assert due_day.overdue_invoices == 0  # due that day: overdue from the next


def test_rerunning_a_day_rewrites_the_same_rows(story):
    school, day = story["school"], story["day"]
    first, first_money = kpi.kpi_aggregate(school=school, day=day)
    again, again_money = kpi.kpi_aggregate(school=school, day=day)
    assert (again.pk, again_money.pk) == (first.pk, first_money.pk)
    assert _funnel(again) == _funnel(first) and _money(again_money) == _money(first_money)
    assert RegistrationKpiDaily.objects.for_school(school).count() == 1
    assert RevenueDaily.objects.for_school(school).count() == 1
    # a late arrival for that day is picked up by the next run, in the same row
    application(school, at(school, day, 18))
    assert kpi.kpi_aggregate(school=school, day=day)[0].leads == 3
    assert RegistrationKpiDaily.objects.for_school(school).count() == 1


def test_backfill_writes_every_day_of_the_range_as_single_days_would(story):
    school, day = story["school"], story["day"]
    start, end = day - 7 * DAY1, day + 2 * DAY1
    assert kpi.kpi_backfill(school=school, start=start, end=end) == 10
    ranged = {
        r.day: (_funnel(r), _money(m))
        for r, m in zip(
            RegistrationKpiDaily.objects.for_school(school).order_by("day"),
            RevenueDaily.objects.for_school(school).order_by("day"),
            strict=True,
        )
    }
    assert sorted(ranged) == [start + i * DAY1 for i in range(10)]
    for one_day in ranged:
        registration, revenue = kpi.kpi_aggregate(school=school, day=one_day)
        assert ranged[one_day] == (_funnel(registration), _money(revenue)), one_day
    # the opening balance before the range is carried in: the range starting after the invoice was issued
    kpi.kpi_backfill(school=school, start=day - DAY1, end=day)
    assert RevenueDaily.objects.for_school(school).get(day=day - DAY1).outstanding_minor == 10_000_000
    assert RevenueDaily.objects.for_school(school).get(day=day).outstanding_minor == 6_000_000


def test_other_schools_are_never_counted(story, other_school):
    kpi.kpi_aggregate(school=story["school"], day=story["day"])
    registration, revenue = kpi.kpi_aggregate(school=other_school, day=story["day"])
    assert registration.leads == 1 and revenue.collected_minor == 500_000 and revenue.payments == 1
    assert RegistrationKpiDaily.objects.for_school(story["school"]).get().leads == 2


def test_future_days_and_upside_down_ranges_are_refused(lima):
    today = lima.local_today()
    with pytest.raises(ValueError, match="has not happened yet"):
        kpi.kpi_aggregate(school=lima, day=today + DAY1)
    with pytest.raises(ValueError, match="starts after it ends"):
        kpi.kpi_backfill(school=lima, start=today, end=today - DAY1)
    assert not RegistrationKpiDaily.objects.exists()


def test_a_reversal_through_payments_is_taken_off_the_day_it_happened(school, bursar, invoice):
    # given two counter payments today, one of them reversed by the bursar
    kept = payments.transaction_record(
        invoice=invoice, kind="cash", amount_minor=4_000_000, currency="NGN", actor=bursar
    )
    bounced = payments.transaction_record(
        invoice=invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar
    )
    worker.drain()
    payments.transaction_reverse(transaction_id=bounced.pk, school=school, actor=bursar, reason="bounced")
    worker.drain()
    today = timezone.localtime(kept.confirmed_at, school.tzinfo).date()
    # when today is aggregated
    _, revenue = kpi.kpi_aggregate(school=school, day=today)
    # then only what was kept counts, and the invoice owes what is left of it
    assert (revenue.collected_minor, revenue.payments) == (4_000_000, 2)
    assert revenue.invoiced_minor == revenue.outstanding_minor + 4_000_000 == 10_000_000


# --- the command ----------------------------------------------------------------------------------


def _run(*args):
    out = io.StringIO()
    call_command("kpi_daily_aggregate", *args, stdout=out)
    return out.getvalue()


def test_command_writes_one_day_and_says_what(story):
    day = story["day"]
    out = _run("--date", day.isoformat(), "--school", "greenfield")
    assert out.startswith(f"greenfield {day}: 2 leads, 2 to review, 1 needs info, 1 approved, 0 enrolled")
    assert "₦40,000.00 collected (2 payments)" in out and "₦60,000.00 outstanding, 1 overdue invoices" in out
    assert _run("--date", day.isoformat(), "--school", "greenfield") == out  # idempotent
    assert RegistrationKpiDaily.objects.count() == 1


def test_command_defaults_to_each_schools_yesterday(lima, other_school):
    out = _run()
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"greenfield {lima.local_today() - DAY1}",
        f"riverside {other_school.local_today() - DAY1}",
    ]
    assert RegistrationKpiDaily.objects.for_school(lima).get().day == lima.local_today() - DAY1


def test_command_backfills_a_range(story):
    school, day = story["school"], story["day"]
    out = _run("--from", (day - DAY1).isoformat(), "--to", (day + DAY1).isoformat(), "--school", "greenfield")
    assert (
        out.strip() == f"greenfield {day - DAY1} to {day + DAY1}: 3 days written; 4 leads, 1 enrolled, "
        "₦100,000.00 collected"
    )
    assert RevenueDaily.objects.for_school(school).count() == 3
    # --from alone runs to yesterday
    _run("--from", (day - DAY1).isoformat(), "--school", "greenfield")
    assert RevenueDaily.objects.for_school(school).latest("day").day == school.local_today() - DAY1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--date", "2026-13-01"], "--date must look like"),
        (["--date", "2026-01-01", "--from", "2026-01-01"], "either --date or --from/--to"),
        (["--to", "2026-01-01"], "--to needs --from"),
        (["--from", "2026-01-05", "--to", "2026-01-01"], "is after --to"),
        (["--school", "nowhere"], "No active school"),
        (["--date", "2999-01-01"], "has not happened yet"),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(school, args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert not RegistrationKpiDaily.objects.exists() and not RevenueDaily.objects.exists()


# --- the schedule ---------------------------------------------------------------------------------


def test_schedule_is_registered_hourly():
    assert ("kpi-daily-aggregate", "registrar.kpi.kpi_aggregate_due_schools", 60) in all_schedules()
    assert SCHEDULES == [("kpi-daily-aggregate", "registrar.kpi.kpi_aggregate_due_schools", 60)]


def test_schedule_runs_schools_at_two_in_the_morning_their_time(school, other_school, settings):
    settings.KPI_AGGREGATE_LOCAL_HOUR = 2
    # 07:30 UTC: 02:30 in Lima, 08:30 in Lagos
    school.timezone = LIMA
    school.save(update_fields=["timezone"])
    now = datetime.datetime(2026, 3, 10, 7, 30, tzinfo=datetime.UTC)
    yesterday = datetime.date(2026, 3, 9)
    # Riverside's yesterday is already written: it is not due and not missing
    kpi.kpi_aggregate(school=other_school, day=yesterday)
    RegistrationKpiDaily.objects.for_school(other_school).update(leads=42)
    assert kpi.kpi_aggregate_due_schools(now=now) == {"aggregated": ["greenfield"], "failed": []}
    assert RegistrationKpiDaily.objects.for_school(school).get().day == yesterday
    assert RegistrationKpiDaily.objects.for_school(other_school).get().leads == 42  # untouched
    # an hour later nothing is due and nothing is missing
    assert kpi.kpi_aggregate_due_schools(now=now + datetime.timedelta(hours=1))["aggregated"] == []


def test_schedule_catches_up_a_school_whose_yesterday_is_missing(school, other_school, settings):
    settings.KPI_AGGREGATE_LOCAL_HOUR = 2
    now = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)  # 13:00 in Lagos: nobody's 02:00
    kpi.kpi_aggregate(school=school, day=datetime.date(2026, 3, 9))
    assert kpi.kpi_aggregate_due_schools(now=now)["aggregated"] == ["riverside"]
    assert RevenueDaily.objects.for_school(other_school).get().day == datetime.date(2026, 3, 9)


def test_schedule_waits_for_the_hour_before_catching_up(school, other_school, settings):
    settings.KPI_AGGREGATE_LOCAL_HOUR = 2
    # 00:30 in Lagos: yesterday is missing everywhere, but the night's late work may still land
    assert kpi.kpi_aggregate_due_schools(now=datetime.datetime(2026, 3, 9, 23, 30, tzinfo=datetime.UTC)) == {
        "aggregated": [],
        "failed": [],
    }
    assert not RegistrationKpiDaily.objects.exists()


def test_schedule_skips_suspended_schools_and_survives_one_failure(school, other_school, settings, monkeypatch):
    settings.KPI_AGGREGATE_LOCAL_HOUR = 2
    from schools.models import School

    third = School.objects.create(slug="hilltop", name="Hilltop", status="suspended")
    real = kpi.kpi_aggregate

    def flaky(*, school, day):
        if school.slug == "greenfield":
            raise RuntimeError("database hiccup")
        return real(school=school, day=day)

    # The schedule calls the module-level name where it is defined.
    monkeypatch.setattr(kpi.aggregate, "kpi_aggregate", flaky)
    result = kpi.kpi_aggregate_due_schools(now=datetime.datetime(2026, 3, 10, 1, 0, tzinfo=datetime.UTC))
    assert result == {"aggregated": ["riverside"], "failed": ["greenfield"]}
    assert not RegistrationKpiDaily.objects.for_school(third).exists()


def test_demo_backfill_covers_the_last_year(school, bursar, invoice):
    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar)
    assert kpi.kpi_seed_demo(school=school) == 365
    rows = RevenueDaily.objects.for_school(school)
    assert rows.count() == 365 and rows.latest("day").day == school.local_today() - DAY1
    assert rows.earliest("day").day == school.local_today() - 365 * DAY1
