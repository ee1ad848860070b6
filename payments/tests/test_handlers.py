"""Payments' outbox handlers act within the event's school: a payload naming another school's
transaction issues no receipt and moves no money."""

import pytest

from classpoint.models import OutboxEvent
from classpoint.outbox import emit, worker
from fees.models import Allocation
from payments import services
from payments.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def riverside_payment(other_school, charlie):
    from fees import services as fees

    term, group = other_school.current_term(), other_school.class_groups.get()
    item = fees.fee_item_create(school=other_school, actor=charlie, code="tuition", name="Tuition")
    fees.fee_schedule_create(
        school=other_school,
        actor=charlie,
        term=term,
        class_group=group,
        name="JSS1",
        lines=[{"fee_item": item, "amount_minor": 10_000_000}],
    )
    student = other_school.students.get(admission_number="RVC/0001")
    invoice = fees.invoice_issue(
        invoice=fees.invoice_create(school=other_school, actor=charlie, student=student, term=term), actor=charlie
    )
    tx = services.transaction_record(
        invoice=invoice, kind="cash", amount_minor=10_000_000, currency="NGN", actor=charlie
    )
    # Riverside's own events are not delivered yet: the payment has no receipt and no allocation.
    OutboxEvent.objects.filter(school=other_school).delete()
    return tx


def test_payment_confirmed_of_one_school_naming_another_schools_transaction_issues_no_receipt(
    school, other_school, riverside_payment, caplog
):
    # when a Greenfield event names Riverside's confirmed payment
    payload = {
        "invoice_id": riverside_payment.invoice_id,
        "transaction_id": riverside_payment.pk,
        "amount_minor": riverside_payment.amount_minor,
    }
    emit(school=school, event_type="payment.confirmed", payload=payload)
    worker.drain()
    # then no receipt is numbered for it in either school, no money is applied, and nothing failed
    assert not Receipt.objects.filter(transaction_id=riverside_payment.pk).exists()
    assert not Allocation.objects.filter(transaction_id=riverside_payment.pk).exists()
    assert not OutboxEvent.objects.exclude(last_error="").exists()
    assert "not a transaction of school" in caplog.text


def test_receipt_is_issued_for_a_transaction_of_the_events_school(school, other_school, riverside_payment):
    # when Riverside's own event is delivered
    payload = {
        "invoice_id": riverside_payment.invoice_id,
        "transaction_id": riverside_payment.pk,
        "amount_minor": riverside_payment.amount_minor,
    }
    emit(school=other_school, event_type="payment.confirmed", payload=payload)
    worker.drain()
    # then it gets its receipt in its own school
    assert Receipt.objects.for_school(other_school).filter(transaction_id=riverside_payment.pk).count() == 1
