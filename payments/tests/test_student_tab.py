"""The Fees tab of a pupil's record: invoices, what is still owed, the payments against them with their
receipts, and the family's credit; only for those who may see fees, and never another school's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog
from classpoint.outbox import worker
from fees.credit import credit_record
from fees.models import CreditEntry
from payments.models import PaymentTransaction
from payments.services import transaction_record
from payments.tests.test_counter_payments import issued_invoice
from schools.models import Role
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


def url(student):
    return f"/s/{student.school.slug}/students/{student.pk}/fees/"


def pay(invoice, actor, amount_minor, reference):
    transaction_record(
        invoice=invoice,
        kind=PaymentTransaction.Kind.CASH,
        amount_minor=amount_minor,
        currency=invoice.currency,
        actor=actor,
        provider_reference=reference,
    )
    worker.drain()  # credited to the invoice and receipted by the outbox handlers


def test_the_fees_tab_shows_invoices_balance_payments_and_family_credit(school, bursar, verified_client):
    invoice = issued_invoice(school, bursar, "GFA/0001", amount_minor=5_000_000)
    student = invoice.student
    pay(invoice, bursar, 2_000_000, "CASH-1")
    credit_record(
        invoice=invoice, kind=CreditEntry.Kind.ADJUSTMENT, amount_minor=150_000, source_key="t:1", note="Bus refund"
    )

    response = verified_client(bursar).get(url(student))

    body = response.content.decode()
    assert response.status_code == 200
    assert invoice.number in body and "₦30,000.00" in body  # still owed: 50,000 less 20,000
    assert "₦20,000.00" in body and "Cash" in body
    receipt = PaymentTransaction.objects.get().receipt
    assert f'href="/s/greenfield/payments/receipts/{receipt.pk}/pdf/"' in body
    assert "Bus refund" in body and "₦1,500.00" in body
    assert AuditLog.objects.filter(action="student.viewed", target_id=str(student.pk)).count() == 1


def test_a_teacher_without_fees_view_neither_sees_the_tab_nor_opens_it(school, teacher, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    client = verified_client(teacher)
    assert client.get(url(student)).status_code == 403
    profile = client.get(f"/s/greenfield/students/{student.pk}/").content.decode()
    assert url(student) not in profile


def test_a_role_with_fees_but_not_payments_sees_invoices_without_the_payments(school, bursar, verified_client):
    invoice = issued_invoice(school, bursar, "GFA/0001")
    pay(invoice, bursar, 1_000_000, "CASH-2")
    role = Role.objects.for_school(school).get(key="bursar")
    role.permissions = [code for code in role.permissions if code != "payments.view"]
    role.save()
    body = verified_client(bursar).get(url(invoice.student)).content.decode()
    assert invoice.number in body and "Payments" not in body


def test_another_schools_pupil_is_a_404(school, other_school, bursar, verified_client):
    foreign = other_school.students.get()
    response = verified_client(bursar).get(url(foreign))
    assert response.status_code == 404 and b"RVCPupil" not in response.content


def test_the_fees_tab_asks_the_same_number_of_queries_however_many_payments(school, bursar, verified_client):
    invoice = issued_invoice(school, bursar, "GFA/0001", amount_minor=50_000_000)
    client = verified_client(bursar)
    client.get(url(invoice.student))
    pay(invoice, bursar, 100_000, "CASH-A")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(invoice.student)).status_code == 200
        return len(queries)

    few = count()
    for n in range(6):
        pay(invoice, bursar, 100_000, f"CASH-B{n}")
        credit_record(
            invoice=invoice, kind=CreditEntry.Kind.ADJUSTMENT, amount_minor=1_000, source_key=f"q:{n}", note="x"
        )
    f.StudentFactory(school=school)  # and a pupil more in the school
    assert count() == few
