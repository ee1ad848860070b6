"""After a payment is recorded, the invoice page shows it at once (crediting and the receipt follow
through the outbox): the payment is listed and counted as being applied, and the payments section
polls itself until the receipt exists, then stops."""

import pytest

from classpoint.outbox import worker
from fees import services
from payments.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(school, bursar):
    term, group = school.current_term(), school.class_groups.get()
    item = services.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="JSS1",
        lines=[{"fee_item": item, "amount_minor": 10_000_000}],
    )
    student = school.students.get(admission_number="GFA/0001")
    draft = services.invoice_create(school=school, actor=bursar, student=student, term=term)
    return services.invoice_issue(invoice=draft, actor=bursar)


def _record(client, invoice, amount="20000"):
    return client.post(
        f"/s/greenfield/payments/invoices/{invoice.pk}/payment/", {"kind": "cash", "amount": amount}, follow=True
    )


def test_recorded_payment_shows_at_once_as_being_applied(school, bursar, verified_client, invoice, settings):
    # given the outbox has not run yet (the worker is behind)
    client = verified_client(bursar)
    # when the bursar records a cash payment and lands back on the invoice page
    page = _record(client, invoice).content.decode()
    # then the page lists the payment and counts it as being applied, and the receipt as coming
    assert "Payment recorded; the receipt follows." in page
    assert "₦20,000.00 being applied" in page
    assert "Receipt being prepared" in page
    assert 'hx-trigger="every 2s"' in page  # the payments section polls itself
    assert "reload this page" in page.lower()  # and says what to do without JavaScript


def test_payments_fragment_stops_polling_once_the_receipt_exists(school, bursar, verified_client, invoice):
    client = verified_client(bursar)
    _record(client, invoice)
    url = f"/s/greenfield/payments/invoices/{invoice.pk}/payments/"
    pending = client.get(url, HTTP_HX_REQUEST="true")
    assert pending.status_code == 200 and 'hx-trigger="every 2s"' in pending.content.decode()
    assert "<html" not in pending.content.decode() and pending["Vary"].count("HX-Request")
    # when the outbox credits the invoice and issues the receipt
    worker.drain()
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    receipt = Receipt.objects.get(transaction__invoice=invoice)
    # then the fragment shows the receipt, stops polling and updates the figures out of band
    assert receipt.number in done and "hx-trigger" not in done
    assert 'hx-swap-oob="true"' in done and "₦20,000.00" in done and "being applied" not in done


def test_full_page_after_crediting_has_no_poll(school, bursar, verified_client, invoice):
    client = verified_client(bursar)
    _record(client, invoice)
    worker.drain()
    page = client.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    receipt = Receipt.objects.get(transaction__invoice=invoice)
    assert receipt.number in page and "hx-trigger" not in page and "being applied" not in page


def test_payments_fragment_of_another_schools_invoice_is_404(school, other_school, charlie, verified_client, invoice):
    response = verified_client(charlie).get(
        f"/s/greenfield/payments/invoices/{invoice.pk}/payments/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 404
