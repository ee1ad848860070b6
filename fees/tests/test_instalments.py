"""Instalment plans: payments fill the oldest first, reversals give back from the newest filled, and
the invoice's due date (so overdue and defaulters) follows the earliest instalment still owing."""

import datetime

import pytest

from classpoint.models import AuditLog
from fees import awards, services
from fees.collections import defaulters, overdue_scan
from fees.errors import FeesError
from fees.instalments import instalment_plan_set
from fees.models import Invoice, InvoiceInstalment
from fees.tests.test_credit import drain
from payments import services as payments

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def invoice(school, bursar):
    term, group = school.current_term(), school.class_groups.get()
    item = services.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="JSS 1",
        lines=[{"fee_item": item, "amount_minor": 15_000_000}],
    )
    student = school.students.get(admission_number="GFA/0001")
    return services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=student, term=term), actor=bursar
    )


def three_parts(school):
    """₦50,000 each: the first already 10 days past due, then in 20 and 50 days."""
    today = school.local_today()
    return [{"due_date": today + days * DAY, "amount_minor": 5_000_000} for days in (-10, 20, 50)]


def per_instalment(invoice, field="paid_minor"):
    return list(InvoiceInstalment.objects.filter(invoice=invoice).order_by("sequence").values_list(field, flat=True))


@pytest.mark.postgres
def test_a_payment_fills_instalments_oldest_first_and_its_reversal_gives_back(school, bursar, invoice):
    # given three instalments of ₦50,000
    instalment_plan_set(invoice=invoice, actor=bursar, instalments=three_parts(school))
    # when ₦75,000 is paid (the first instalment and half the second)
    tx = payments.transaction_record(invoice=invoice, kind="cash", amount_minor=7_500_000, currency="NGN", actor=bursar)
    drain()
    # then they fill in order and the invoice is due with the second
    assert per_instalment(invoice) == [5_000_000, 2_500_000, 0]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.due_date) == ("partially_paid", school.local_today() + 20 * DAY)
    # when a second payment of ₦30,000 comes, then the first is reversed
    second = payments.transaction_record(
        invoice=invoice, kind="cash", amount_minor=3_000_000, currency="NGN", actor=bursar
    )
    drain()
    assert per_instalment(invoice) == [5_000_000, 5_000_000, 500_000]
    payments.transaction_reverse(transaction_id=tx.pk, school=school, actor=bursar, reason="bounced")
    drain()
    # then the newest filled give back first: what stays paid (₦30,000) sits on the oldest
    assert per_instalment(invoice) == [3_000_000, 0, 0]
    invoice.refresh_from_db()
    assert (invoice.paid_minor, invoice.due_date) == (3_000_000, school.local_today() - 10 * DAY)
    payments.transaction_reverse(transaction_id=second.pk, school=school, actor=bursar, reason="bounced")
    drain()
    assert per_instalment(invoice) == [0, 0, 0]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("issued", 0)


@pytest.mark.postgres
def test_overdue_follows_the_earliest_unpaid_instalment(school, bursar, invoice):
    today = school.local_today()
    instalment_plan_set(invoice=invoice, actor=bursar, instalments=three_parts(school))
    # the first instalment is past due and unpaid: the invoice is overdue, and a defaulter
    assert overdue_scan(school=school, today=today)[0] == 1
    assert Invoice.objects.get(pk=invoice.pk).is_overdue
    assert [i.pk for i in defaulters(school=school, today=today)] == [invoice.pk]
    # paying it moves the due date to the second, which is not due yet
    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=5_000_000, currency="NGN", actor=bursar)
    drain()
    invoice.refresh_from_db()
    assert (invoice.due_date, invoice.is_overdue) == (today + 20 * DAY, False)
    overdue_scan(school=school, today=today)
    assert not Invoice.objects.get(pk=invoice.pk).is_overdue
    assert list(defaulters(school=school, today=today)) == []
    # once the second instalment's date passes with a balance, it is overdue again
    later = today + 21 * DAY
    overdue_scan(school=school, today=later)
    assert Invoice.objects.get(pk=invoice.pk).is_overdue
    assert [i.pk for i in defaulters(school=school, today=later)] == [invoice.pk]


def test_a_new_plan_spreads_what_is_already_paid(school, bursar, invoice):
    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=6_000_000, currency="NGN", actor=bursar)
    drain()
    today = school.local_today()
    plan = [
        {"due_date": today + 5 * DAY, "amount_minor": 4_000_000},
        {"due_date": today + 35 * DAY, "amount_minor": 11_000_000},
    ]
    instalment_plan_set(invoice=invoice, actor=bursar, instalments=plan)
    assert per_instalment(invoice) == [4_000_000, 2_000_000]
    assert Invoice.objects.get(pk=invoice.pk).due_date == today + 35 * DAY
    # a later plan replaces it
    instalment_plan_set(invoice=invoice, actor=bursar, instalments=three_parts(school))
    assert per_instalment(invoice) == [5_000_000, 1_000_000, 0]
    assert AuditLog.objects.filter(action="invoice.instalment_plan_set", target_id=str(invoice.pk)).count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda rows: rows[1].update(amount_minor=4_000_000), "instalments"),
        (lambda rows: rows[2].update(due_date=rows[1]["due_date"]), "instalments.2.due_date"),
        (lambda rows: rows[0].update(amount_minor=0), "instalments.0.amount_minor"),
        (lambda rows: rows[0].update(due_date=None), "instalments.0.due_date"),
        (lambda rows: rows[1:].clear() or rows[0].update(amount_minor=15_000_000), "instalments"),
    ],
    ids=["sum-differs", "dates-not-ascending", "zero-amount", "no-date", "single-instalment"],
)
def test_a_bad_plan_is_a_field_error_and_changes_nothing(school, bursar, invoice, change, field):
    rows = three_parts(school)
    change(rows)
    with pytest.raises(FeesError) as exc:
        instalment_plan_set(invoice=invoice, actor=bursar, instalments=rows)
    assert field in exc.value.fields
    assert not InvoiceInstalment.objects.exists()


def test_no_plan_on_a_void_or_paid_invoice(school, bursar, invoice):
    services.invoice_void(invoice=invoice, actor=bursar, reason="mistake")
    with pytest.raises(FeesError) as exc:
        instalment_plan_set(invoice=invoice, actor=bursar, instalments=three_parts(school))
    assert exc.value.code == "not_plannable"


def test_an_award_approved_later_comes_off_the_last_instalments(school, bursar, alice, invoice):
    instalment_plan_set(invoice=invoice, actor=bursar, instalments=three_parts(school))
    award = awards.award_request(
        school=school,
        actor=bursar,
        student=invoice.student,
        term=invoice.term,
        kind="waiver",
        mode="fixed",
        amount_minor=6_000_000,
        reason="Staff child",
    )
    awards.award_approve(award=award, actor=alice)
    assert per_instalment(invoice, "amount_minor") == [5_000_000, 4_000_000]
    assert Invoice.objects.get(pk=invoice.pk).total_minor == 9_000_000


def test_bursar_sets_a_plan_from_the_invoice_page(school, bursar, invoice, verified_client):
    client = verified_client(bursar)
    page = client.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert "Set an instalment plan" in page and 'for="inst-due-new-1"' in page
    today = school.local_today()
    response = client.post(
        f"/s/greenfield/fees/invoices/{invoice.pk}/instalments/",
        {
            "due_date": [(today + 10 * DAY).isoformat(), (today + 40 * DAY).isoformat(), ""],
            "amount": ["100000.00", "50,000", ""],
        },
    )
    assert response.status_code == 302
    assert per_instalment(invoice) == [0, 0]
    page = client.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert "Change the plan" in page and "₦100,000.00" in page
    # a plan that does not add up is refused with the reason, the old one kept
    refused = client.post(
        f"/s/greenfield/fees/invoices/{invoice.pk}/instalments/",
        {
            "due_date": [(today + 10 * DAY).isoformat(), (today + 40 * DAY).isoformat()],
            "amount": ["1", "2"],
        },
        follow=True,
    ).content.decode()
    assert "the invoice total is ₦150,000.00" in refused
    assert InvoiceInstalment.objects.filter(invoice=invoice).count() == 2


def test_teacher_cannot_set_a_plan_and_other_school_gets_404(school, teacher, charlie, invoice, verified_client):
    url = f"/s/greenfield/fees/invoices/{invoice.pk}/instalments/"
    assert verified_client(teacher).post(url, {}).status_code == 403
    assert verified_client(charlie).post(url, {}).status_code == 404
    assert verified_client(charlie).post(f"/s/riverside/fees/invoices/{invoice.pk}/instalments/", {}).status_code == 404


def test_plan_over_the_api_and_instalments_in_the_invoice(school, bursar, invoice, api):
    api.force_authenticate(bursar)
    url = f"/api/v1/schools/greenfield/invoices/{invoice.pk}/instalments/"
    today = school.local_today()
    same_day = [
        {"due_date": today.isoformat(), "amount_minor": 5_000_000},
        {"due_date": today.isoformat(), "amount_minor": 10_000_000},
    ]
    bad = api.put(url, {"instalments": same_day}, format="json")
    assert bad.status_code == 400 and "instalments.1.due_date" in bad.json()["error"]["fields"]
    short = [
        {"due_date": today.isoformat(), "amount_minor": 1},
        {"due_date": (today + DAY).isoformat(), "amount_minor": 2},
    ]
    short = api.put(url, {"instalments": short}, format="json")
    assert short.status_code == 400 and "instalments" in short.json()["error"]["fields"]
    plan = [{"due_date": (today + n * 30 * DAY).isoformat(), "amount_minor": 5_000_000} for n in range(3)]
    response = api.put(url, {"instalments": plan}, format="json")
    assert response.status_code == 200, response.json()
    body = api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/").json()
    assert [i["amount_minor"] for i in body["instalments"]] == [5_000_000] * 3
    assert body["instalments"][0]["balance_minor"] == 5_000_000
    assert api.post(url, {"instalments": plan}, format="json").status_code == 200
    other = api.put(
        f"/api/v1/schools/riverside/invoices/{invoice.pk}/instalments/", {"instalments": plan}, format="json"
    )
    assert other.status_code == 404
