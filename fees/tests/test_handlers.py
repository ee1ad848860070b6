"""Outbox handlers act within the event's school: a payload naming another school's row does nothing."""

import pytest

from classpoint.models import OutboxEvent
from classpoint.outbox import emit, worker
from fees import services
from fees.models import Allocation, Invoice
from payments import services as payments

pytestmark = pytest.mark.django_db


def drain():
    worker.drain()
    failed = list(OutboxEvent.objects.exclude(last_error="").values_list("event_type", "last_error"))
    assert not failed, failed


@pytest.fixture
def riverside_invoice(other_school, charlie):
    term, group = other_school.current_term(), other_school.class_groups.get()
    item = services.fee_item_create(school=other_school, actor=charlie, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=other_school,
        actor=charlie,
        term=term,
        class_group=group,
        name="JSS1",
        lines=[{"fee_item": item, "amount_minor": 10_000_000}],
    )
    draft = services.invoice_create(
        school=other_school, actor=charlie, student=other_school.students.get(admission_number="RVC/0001"), term=term
    )
    return services.invoice_issue(invoice=draft, actor=charlie)


def snapshot(invoice):
    invoice.refresh_from_db()
    return (invoice.status, invoice.paid_minor, Allocation.objects.filter(invoice=invoice).count())


def test_payment_confirmed_of_one_school_naming_another_schools_invoice_applies_nothing(
    school, other_school, riverside_invoice, caplog
):
    # given Riverside's issued, unpaid invoice
    drain()
    before = snapshot(riverside_invoice)
    # when a Greenfield event names it as paid
    payload = {"invoice_id": riverside_invoice.pk, "transaction_id": 987_654, "amount_minor": 10_000_000}
    emit(school=school, event_type="payment.confirmed", payload=payload)
    drain()
    # then Riverside's invoice is untouched, and the refusal is logged
    assert snapshot(riverside_invoice) == before
    assert not Allocation.objects.filter(transaction_id=987_654).exists()
    assert "not an invoice of school" in caplog.text


def test_payment_reversed_of_one_school_naming_another_schools_payment_restores_nothing(
    school, other_school, charlie, riverside_invoice
):
    # given Riverside's invoice paid in full
    tx = payments.transaction_record(
        invoice=riverside_invoice, kind="cash", amount_minor=10_000_000, currency="NGN", actor=charlie
    )
    drain()
    before = snapshot(riverside_invoice)
    assert before[:2] == (Invoice.Status.PAID, 10_000_000)
    # when a Greenfield event says that payment was reversed
    emit(
        school=school,
        event_type="payment.reversed",
        payload={"invoice_id": riverside_invoice.pk, "transaction_id": tx.pk},
    )
    drain()
    # then Riverside's invoice stays paid and no reversal is recorded
    assert snapshot(riverside_invoice) == before
    assert not Allocation.objects.filter(transaction_id=-tx.pk).exists()
