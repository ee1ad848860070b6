"""The payments part of fees' invoice page: drawn by payments' template tags, its forms post to
payments' URLs, which land back on the invoice page; the same people may use them as before."""

import pytest

from classpoint.outbox import worker
from payments import services
from payments.models import PaymentIntent, PaymentTransaction
from schools.models import Role
from schools.tests import factories as f

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _page(invoice):
    return f"/s/greenfield/fees/invoices/{invoice.pk}/"


def _action(invoice, name):
    return f"/s/greenfield/payments/invoices/{invoice.pk}/{name}/"


def _cash(invoice, actor, amount_minor=1_000_000):
    return services.transaction_record(
        invoice=invoice, kind="cash", amount_minor=amount_minor, currency="NGN", actor=actor
    )


def test_the_invoice_pages_payment_forms_post_to_payments(school, bursar, verified_client, invoice):
    # given a confirmed, receipted payment on the invoice
    _cash(invoice, bursar)
    worker.drain()
    # when the bursar opens the invoice page
    page = verified_client(bursar).get(_page(invoice)).content.decode()
    # then the pay link, counter payment and reverse forms are there and post to payments
    for name in ("pay-link", "payment", "reverse"):
        assert f'action="{_action(invoice, name)}"' in page
    assert "Create pay link" in page and "Record payment" in page and "Reason to reverse" in page
    assert "Secure link for" in page and "RCT-" in page
    assert f"/fees/invoices/{invoice.pk}/payment/" not in page


def test_a_pay_link_made_on_the_invoice_page_is_shown_there(school, bursar, verified_client, invoice):
    response = verified_client(bursar).post(_action(invoice, "pay-link"), follow=True)
    intent = PaymentIntent.objects.for_school(school).get()
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == _page(invoice)
    assert f"Pay link ready: {intent.checkout_url}" in body and intent.reference in body


def test_a_counter_payment_with_a_bad_amount_records_nothing_and_says_why(school, bursar, verified_client, invoice):
    response = verified_client(bursar).post(
        _action(invoice, "payment"), {"kind": "cash", "amount": "-5", "reference": ""}, follow=True
    )
    assert response.redirect_chain[-1][0] == _page(invoice)
    assert "Amount: Ensure this value is greater than or equal to 0.01." in response.content.decode()
    assert not PaymentTransaction.objects.for_school(school).exists()


def test_a_bursar_without_the_refund_permission_cannot_reverse(school, bursar, verified_client, invoice):
    # given a payment, and a bursar role that may no longer refund
    tx = _cash(invoice, bursar)
    worker.drain()
    role = Role.objects.for_school(school).get(key="bursar")
    role.permissions = [p for p in role.permissions if p != "payments.refund"]
    role.save()
    client = verified_client(bursar)
    # when the bursar opens the invoice page and posts a reversal anyway
    page = client.get(_page(invoice)).content.decode()
    response = client.post(_action(invoice, "reverse"), {"transaction": tx.pk, "reason": "refund"})
    # then the page offers no reversal, the post is refused and the payment stands
    assert "Reason to reverse" not in page
    assert response.status_code == 403
    tx.refresh_from_db()
    assert tx.status == PaymentTransaction.Status.CONFIRMED


def test_a_viewer_sees_the_payments_but_cannot_take_any(school, verified_client, invoice):
    viewer = f.member(school, "viewer")
    client = verified_client(viewer)
    page = client.get(_page(invoice)).content.decode()
    assert 'id="invoice-payments"' in page and "Record payment" not in page and "Secure link for" not in page
    for name in ("pay-link", "payment"):
        assert client.post(_action(invoice, name), {"kind": "cash", "amount": "10.00"}).status_code == 403
    assert not PaymentTransaction.objects.for_school(school).exists()
    assert not PaymentIntent.objects.for_school(school).exists()


def test_another_schools_member_gets_404_from_every_payment_action(
    school, other_school, charlie, verified_client, invoice
):
    # given Greenfield's invoice, with a payment to reverse
    tx = _cash(invoice, f.member(school, "bursar", email="b2@greenfield.test"))
    client = verified_client(charlie)
    data = {"kind": "cash", "amount": "10.00", "transaction": tx.pk, "reason": "mine now"}
    for name in ("pay-link", "payment", "reverse", "payments"):
        send = client.get if name == "payments" else client.post
        # when Riverside's admin names it under Greenfield, or under Riverside
        greenfield = _action(invoice, name)
        riverside = greenfield.replace("/greenfield/", "/riverside/")
        # then both answer 404, as for an invoice that does not exist
        assert send(greenfield, data, HTTP_HX_REQUEST="true").status_code == 404
        assert send(riverside, data, HTTP_HX_REQUEST="true").status_code == 404
    # and nothing was made or undone in either school
    tx.refresh_from_db()
    assert tx.status == PaymentTransaction.Status.CONFIRMED
    for s in (school, other_school):
        assert PaymentTransaction.objects.for_school(s).count() == (1 if s == school else 0)
        assert not PaymentIntent.objects.for_school(s).exists()


def test_the_payments_section_without_htmx_is_the_invoice_page(school, bursar, verified_client, invoice):
    response = verified_client(bursar).get(_action(invoice, "payments"))
    assert response.status_code == 302 and response["Location"] == _page(invoice)
    assert "HX-Request" in response["Vary"]
