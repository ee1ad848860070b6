import pytest

from classpoint.outbox import worker
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_bursar_finds_an_invoice_records_a_payment_and_sees_the_receipt(school, bursar, verified_client, invoice):
    client = verified_client(bursar)
    listing = client.get("/s/greenfield/fees/invoices/?q=gfapupil&status=issued")
    body = listing.content.decode()
    assert listing.status_code == 200 and invoice.number in body and "₦100,000.00" in body
    response = client.post(
        f"/s/greenfield/payments/invoices/{invoice.pk}/payment/",
        {"kind": "cash", "amount": "40000.00", "reference": ""},
    )
    assert response.status_code == 302
    worker.drain()
    detail = client.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert "Partly paid" in detail and "₦60,000.00" in detail and "RCT-" in detail
    assert "invoice.payment_applied" in detail


def test_void_with_payments_shows_the_reason_it_was_refused(school, bursar, verified_client, invoice):
    from fees.models import Invoice

    Invoice.objects.filter(pk=invoice.pk).update(paid_minor=1)
    client = verified_client(bursar)
    client.post(f"/s/greenfield/fees/invoices/{invoice.pk}/void/", {"reason": "oops"})
    page = client.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert "refund or reverse" in page


def test_teacher_gets_403_and_other_school_404(school, other_school, teacher, charlie, verified_client, invoice):
    assert verified_client(teacher).get("/s/greenfield/fees/invoices/").status_code == 403
    assert verified_client(charlie).get(f"/s/riverside/fees/invoices/{invoice.pk}/").status_code == 404


def test_bursar_reverses_a_payment_from_the_invoice_page(school, bursar, verified_client, invoice):
    from payments import services

    tx = services.transaction_record(invoice=invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar)
    worker.drain()
    client = verified_client(bursar)
    client.post(f"/s/greenfield/payments/invoices/{invoice.pk}/reverse/", {"transaction": tx.pk, "reason": "refund"})
    worker.drain()
    page = client.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert "Reversed" in page and "(void)" in page and "invoice.payment_reversed" in page


def test_family_account_sums_the_childrens_balances(school, bursar, verified_client, invoice):
    from fees import services as fees
    from schools.models import Student
    from schools.tests import factories as f

    guardian = invoice.student.guardian_links.get().guardian
    sibling = Student.objects.create(school=school, admission_number="SIB1", first_name="Sib", last_name="Ling")
    f.link(sibling, guardian, primary=False)
    f.enroll(sibling, invoice.term, invoice.class_group)
    fees.invoice_issue(
        invoice=fees.invoice_create(school=school, actor=bursar, student=sibling, term=invoice.term), actor=bursar
    )
    page = verified_client(bursar).get(f"/s/greenfield/fees/families/{guardian.pk}/").content.decode()
    assert "₦200,000.00" in page and "Sib Ling" in page and "GFAPupil" in page


def test_family_of_another_school_is_404(school, other_school, bursar, verified_client):
    foreign = other_school.guardians.first()
    assert verified_client(bursar).get(f"/s/greenfield/fees/families/{foreign.pk}/").status_code == 404
