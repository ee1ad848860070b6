"""Family credit: overpayments held for the family and used on its next invoice."""

import time

import pytest

from classpoint.models import AuditLog, OutboxEvent
from classpoint.outbox import worker
from classpoint.testing import run_concurrently
from fees import batches, credit, handlers, services
from fees.errors import FeesError
from fees.models import CreditEntry, FeeItem, Invoice
from payments import services as payments
from schools.models import Student, Term
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

TUITION = 10_000_000  # ₦100,000.00


def drain():
    """Run the outbox and fail on any handler error (the worker records them instead of raising)."""
    worker.drain()
    failed = list(OutboxEvent.objects.exclude(last_error="").values_list("event_type", "last_error"))
    assert not failed, failed


@pytest.fixture
def term(school, bursar):
    term, group = school.current_term(), school.class_groups.get()
    item = services.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="JSS 1",
        lines=[{"fee_item": item, "amount_minor": TUITION}],
    )
    return term


@pytest.fixture
def family(school, term):
    """The fixture pupil (GFA/0001) and a younger sibling with the same primary guardian, both enrolled."""
    eldest = school.students.get(admission_number="GFA/0001")
    guardian = eldest.guardian_links.get().guardian
    sibling = Student.objects.create(school=school, admission_number="SIB1", first_name="Sib", last_name="Ling")
    f.link(sibling, guardian)
    f.enroll(sibling, term, school.class_groups.get())
    return {"eldest": eldest, "sibling": sibling, "guardian": guardian}


def issued(school, bursar, student, term):
    return services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=student, term=term), actor=bursar
    )


def second_term(school, term, bursar, amount_minor):
    """The next term, with a tuition schedule of `amount_minor` for the class."""
    import datetime

    second = Term.objects.create(
        school=school,
        session=term.session,
        name="Second term",
        start_date=term.end_date + datetime.timedelta(days=20),
        end_date=term.end_date + datetime.timedelta(days=110),
    )
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=second,
        class_group=school.class_groups.get(),
        name="Second",
        lines=[{"fee_item": FeeItem.objects.get(code="tuition"), "amount_minor": amount_minor}],
    )
    return second


def pay(invoice, amount, bursar):
    tx = payments.transaction_record(invoice=invoice, kind="cash", amount_minor=amount, currency="NGN", actor=bursar)
    drain()
    return tx


def family_credit(school, guardian):
    return credit.credit_balance(school=school, guardian_id=guardian.pk, student_id=None)


@pytest.mark.postgres
def test_overpayment_becomes_family_credit_used_on_the_siblings_next_invoice(school, bursar, term, family):
    # given invoice A for the eldest, overpaid by ₦15,000
    a = issued(school, bursar, family["eldest"], term)
    pay(a, TUITION + 1_500_000, bursar)
    a.refresh_from_db()
    assert (a.status, a.paid_minor) == ("paid", TUITION)
    assert family_credit(school, family["guardian"]) == 1_500_000
    # when invoice B is issued for the sibling
    b = issued(school, bursar, family["sibling"], term)
    # then the credit is applied to B and used up
    b.refresh_from_db()
    assert (b.status, b.paid_minor, b.balance_minor) == ("partially_paid", 1_500_000, TUITION - 1_500_000)
    assert family_credit(school, family["guardian"]) == 0
    applied = CreditEntry.objects.get(kind="applied")
    assert (applied.amount_minor, applied.invoice, applied.allocation.invoice) == (-1_500_000, b, b)
    assert AuditLog.objects.filter(action="invoice.credit_applied", target_id=str(b.pk)).exists()
    assert sum(b.allocations.values_list("amount_minor", flat=True)) == b.paid_minor


@pytest.mark.postgres
def test_the_same_payment_confirmed_handled_twice_credits_the_family_once(school, bursar, term, family):
    a = issued(school, bursar, family["eldest"], term)
    pay(a, TUITION + 700_000, bursar)
    event = OutboxEvent.objects.get(event_type="payment.confirmed")
    # when the event is delivered again (at-least-once delivery)
    handlers.allocate_payment(event)
    handlers.allocate_payment(event)
    # then nothing moves twice
    a.refresh_from_db()
    assert a.paid_minor == TUITION
    assert family_credit(school, family["guardian"]) == 700_000
    assert CreditEntry.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_overpayment_credit_once(school, bursar, term, family):
    # given an overpaid payment whose payment.confirmed has not been handled yet
    a = issued(school, bursar, family["eldest"], term)
    payments.transaction_record(invoice=a, kind="cash", amount_minor=TUITION + 500_000, currency="NGN", actor=bursar)
    event = OutboxEvent.objects.get(event_type="payment.confirmed")

    def deliver(_):
        try:
            handlers.allocate_payment(event)
        except Exception:  # noqa: BLE001 - a loser may hit the unique key; the outbox would retry it
            handlers.allocate_payment(event)

    # when six workers handle it at once
    errors = run_concurrently(deliver, list(range(6)))
    # then it is applied once and credited once
    assert not errors
    a.refresh_from_db()
    assert a.paid_minor == TUITION and a.allocations.count() == 1
    assert list(CreditEntry.objects.values_list("kind", "amount_minor")) == [("overpayment", 500_000)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_applications_spend_the_credit_once(school, bursar, term, family, monkeypatch):
    # given two open invoices in the family (₦100,000 and ₦50,000), then ₦60,000 of credit arriving
    second = second_term(school, term, bursar, 5_000_000)
    group = school.class_groups.get()
    f.enroll(family["eldest"], second, group)
    open_invoices = [issued(school, bursar, family["sibling"], term), issued(school, bursar, family["eldest"], second)]
    pay(issued(school, bursar, family["eldest"], term), TUITION + 6_000_000, bursar)

    # when two bursars apply the family's credit to both at the same moment (the balance read is made
    # slow, so without the family lock both would read ₦60,000)
    read_balance = credit.credit_balance

    def slow_balance(**kwargs):
        value = read_balance(**kwargs)
        time.sleep(0.3)
        return value

    monkeypatch.setattr(credit, "credit_balance", slow_balance)
    errors = run_concurrently(lambda invoice: credit.invoice_apply_credit(invoice=invoice, actor=bursar), open_invoices)
    # then ₦60,000 is spent once in all (one of them may find nothing left)
    assert all(isinstance(e, FeesError) and e.code == "no_credit" for e in errors), errors
    paid = Invoice.objects.filter(pk__in=[i.pk for i in open_invoices]).values_list("paid_minor", flat=True)
    assert sum(paid) == 6_000_000
    assert family_credit(school, family["guardian"]) == 0


def test_reversing_an_overpaid_payment_takes_the_credit_back_once(school, bursar, term, family):
    # given an overpayment of ₦5,000 left as credit
    a = issued(school, bursar, family["eldest"], term)
    tx = pay(a, TUITION + 500_000, bursar)
    # when the payment is reversed, and the reversal delivered twice
    payments.transaction_reverse(transaction_id=tx.pk, school=school, actor=bursar, reason="cheque bounced")
    drain()
    services.invoice_reverse_payment(school=school, invoice_id=a.pk, transaction_id=tx.pk)
    # then the invoice owes everything again and the credit is gone, once
    a.refresh_from_db()
    assert (a.status, a.paid_minor) == ("issued", 0)
    assert family_credit(school, family["guardian"]) == 0
    assert list(CreditEntry.objects.order_by("id").values_list("kind", "amount_minor")) == [
        ("overpayment", 500_000),
        ("reversal", -500_000),
    ]


def test_reversal_after_the_credit_was_spent_takes_it_back_from_the_siblings_invoice(school, bursar, term, family):
    # given an overpayment of ₦20,000 spent on the sibling's invoice
    a = issued(school, bursar, family["eldest"], term)
    tx = pay(a, TUITION + 2_000_000, bursar)
    b = issued(school, bursar, family["sibling"], term)
    assert Invoice.objects.get(pk=b.pk).paid_minor == 2_000_000
    # when the payment turns out to have bounced
    payments.transaction_reverse(transaction_id=tx.pk, school=school, actor=bursar, reason="bounced")
    drain()
    # then both invoices owe in full again and the family holds nothing (not a debt)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.paid_minor, a.status) == (0, "issued")
    assert (b.paid_minor, b.status, b.balance_minor) == (0, "issued", TUITION)
    assert family_credit(school, family["guardian"]) == 0
    assert AuditLog.objects.filter(action="invoice.credit_taken_back", target_id=str(b.pk)).exists()
    for invoice in (a, b):
        assert sum(invoice.allocations.values_list("amount_minor", flat=True)) == invoice.paid_minor


def test_payment_on_a_void_invoice_becomes_credit(school, bursar, term, family):
    # A payment confirmed just before the invoice is voided (no route takes one after) is
    # allocated once the void is done.
    a = issued(school, bursar, family["eldest"], term)
    payments.transaction_record(invoice=a, kind="cash", amount_minor=300_000, currency="NGN", actor=bursar)
    services.invoice_void(invoice=a, actor=bursar, reason="duplicate")
    drain()
    a.refresh_from_db()
    assert (a.status, a.paid_minor) == ("void", 0)
    assert family_credit(school, family["guardian"]) == 300_000


def test_voiding_an_invoice_paid_only_by_credit_gives_the_credit_back(school, bursar, term, family):
    pay(issued(school, bursar, family["eldest"], term), TUITION + 1_000_000, bursar)
    b = issued(school, bursar, family["sibling"], term)
    assert family_credit(school, family["guardian"]) == 0
    services.invoice_void(invoice=b, actor=bursar, reason="sibling left")
    b.refresh_from_db()
    assert (b.status, b.paid_minor) == ("void", 0)
    assert family_credit(school, family["guardian"]) == 1_000_000


def test_void_is_still_refused_when_a_payment_is_on_it(school, bursar, term, family):
    a = issued(school, bursar, family["eldest"], term)
    pay(a, 100_000, bursar)
    with pytest.raises(FeesError) as exc:
        services.invoice_void(invoice=a, actor=bursar, reason="mistake")
    assert exc.value.code == "has_payments" and Invoice.objects.get(pk=a.pk).status == "partially_paid"


def test_a_student_without_a_guardian_keeps_credit_for_their_own_next_invoice(school, bursar, term):
    loner = Student.objects.create(school=school, admission_number="L1", first_name="Lone", last_name="Pupil")
    f.enroll(loner, term, school.class_groups.get())
    a = issued(school, bursar, loner, term)
    pay(a, TUITION + 250_000, bursar)
    entry = CreditEntry.objects.get()
    assert (entry.guardian_id, entry.student_id) == (None, loner.pk)
    assert credit.credit_balance_for_student(loner) == 250_000


def test_bulk_invoicing_uses_the_familys_credit(school, bursar, term, family):
    # given credit from an earlier overpayment in another term's invoice, then a new term billed in bulk
    pay(issued(school, bursar, family["eldest"], term), TUITION + 3_000_000, bursar)
    second = second_term(school, term, bursar, TUITION)
    group = school.class_groups.get()
    for student in (family["eldest"], family["sibling"]):
        f.enroll(student, second, group)
    batches.invoice_batch_create(school=school, actor=bursar, term=second)
    drain()
    paid = dict(Invoice.objects.filter(term=second).values_list("student_id", "paid_minor"))
    assert sum(paid.values()) == 3_000_000 and set(paid) == {family["eldest"].pk, family["sibling"].pk}
    assert family_credit(school, family["guardian"]) == 0


def test_bursar_applies_credit_from_the_invoice_page(school, bursar, term, family, verified_client):
    # given an invoice issued before the overpayment arrived elsewhere in the family
    b = issued(school, bursar, family["sibling"], term)
    pay(issued(school, bursar, family["eldest"], term), TUITION + 4_000_000, bursar)
    client = verified_client(bursar)
    page = client.get(f"/s/greenfield/fees/invoices/{b.pk}/").content.decode()
    assert "Apply family credit" in page and "₦40,000.00" in page
    # when the bursar applies it
    response = client.post(f"/s/greenfield/fees/invoices/{b.pk}/apply-credit/")
    # then
    assert response.status_code == 302
    b.refresh_from_db()
    assert (b.paid_minor, b.status) == (4_000_000, "partially_paid")
    again = client.post(f"/s/greenfield/fees/invoices/{b.pk}/apply-credit/", follow=True).content.decode()
    assert "no credit to apply" in again
    assert Invoice.objects.get(pk=b.pk).paid_minor == 4_000_000


def test_family_page_shows_the_credit_and_its_ledger(school, bursar, term, family, verified_client):
    pay(issued(school, bursar, family["eldest"], term), TUITION + 1_234_500, bursar)
    page = verified_client(bursar).get(f"/s/greenfield/fees/families/{family['guardian'].pk}/").content.decode()
    assert "Credit on account" in page and "₦12,345.00" in page and "Overpayment" in page


def test_family_credit_api_and_other_schools_guardian_is_404(school, other_school, bursar, term, family, api):
    pay(issued(school, bursar, family["eldest"], term), TUITION + 99_00, bursar)
    api.force_authenticate(bursar)
    body = api.get(f"/api/v1/schools/greenfield/families/{family['guardian'].pk}/credit/").json()
    assert body["balance_minor"] == 9_900 and body["entries"][0]["kind"] == "overpayment"
    foreign = other_school.guardians.first()
    assert api.get(f"/api/v1/schools/greenfield/families/{foreign.pk}/credit/").status_code == 404


def test_teacher_cannot_apply_credit(school, teacher, bursar, term, family, verified_client):
    b = issued(school, bursar, family["sibling"], term)
    response = verified_client(teacher).post(f"/s/greenfield/fees/invoices/{b.pk}/apply-credit/")
    assert response.status_code == 403
