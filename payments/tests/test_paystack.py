"""Paystack through the real client against a local fake of its HTTP API."""

import hashlib
import hmac
import json

import pytest

from classpoint import secrets
from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from payments import services
from payments.models import PaymentTransaction

from .fake_paystack import FakePaystack
from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paystack(settings, monkeypatch):
    with FakePaystack(secret="sk_test_fake") as fake:
        settings.PAYSTACK_BASE_URL = fake.base_url
        monkeypatch.setenv("CLASSPOINT_DEV_PAYMENTS_PAYSTACK_SECRET", "sk_test_fake")
        secrets.clear_cache()
        yield fake
    secrets.clear_cache()


def webhook(client, intent, *, amount, event_id="77"):
    raw = json.dumps(
        {
            "event": "charge.success",
            "data": {
                "id": event_id,
                "reference": intent.reference,
                "amount": amount,
                "currency": "NGN",
                "status": "success",
            },
        }
    ).encode()
    signature = hmac.new(b"sk_test_fake", raw, hashlib.sha512).hexdigest()
    return client.post(
        "/payments/webhook/paystack/", raw, content_type="application/json", HTTP_X_PAYSTACK_SIGNATURE=signature
    )


def test_paystack_checkout_webhook_and_verification_credit_the_invoice(client, school, bursar, invoice, paystack):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="paystack", email="mum@example.ng")
    assert intent.checkout_url == f"{paystack.base_url}/checkout/{intent.reference}"
    assert paystack.transactions[intent.reference]["amount"] == invoice.balance_minor
    paystack.pay(intent.reference)
    assert webhook(client, intent, amount=intent.amount_minor).status_code == 200
    worker.drain()
    assert ("GET", f"/transaction/verify/{intent.reference}") in paystack.calls  # verified before crediting
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert PaymentTransaction.objects.get().provider_reference == "77"


def test_webhook_the_gateway_does_not_confirm_is_flagged_not_credited(client, school, bursar, invoice, paystack):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="paystack", email="mum@example.ng")
    # A correctly signed event whose charge Paystack itself reports as not successful (e.g. replayed
    # from another environment sharing a key): verification catches it.
    webhook(client, intent, amount=intent.amount_minor)
    worker.drain()
    tx = PaymentTransaction.objects.get()
    invoice.refresh_from_db()
    assert tx.status == "flagged" and "verification" in tx.note
    assert invoice.paid_minor == 0
    assert not OutboxEvent.objects.filter(event_type="payment.confirmed").exists()


def test_verification_amount_mismatch_is_flagged(client, school, bursar, invoice, paystack):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="paystack", email="mum@example.ng")
    paystack.pay(intent.reference, amount=100)
    webhook(client, intent, amount=intent.amount_minor)
    worker.drain()
    assert PaymentTransaction.objects.get().status == "flagged"
    invoice.refresh_from_db()
    assert invoice.paid_minor == 0


def test_gateway_outage_during_verification_retries_later_and_credits_once(client, bursar, invoice, paystack):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="paystack", email="mum@example.ng")
    paystack.pay(intent.reference)
    paystack.fail_verify = True
    webhook(client, intent, amount=intent.amount_minor)
    worker.drain()
    event = OutboxEvent.objects.get(event_type="payments.webhook_received")
    assert event.processed_at is None and event.attempts == 1 and "Paystack" in event.last_error
    assert not PaymentTransaction.objects.exists()
    paystack.fail_verify = False
    OutboxEvent.objects.filter(pk=event.pk).update(available_at=event.created_at)  # its backoff has passed
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.status == "paid" and PaymentTransaction.objects.count() == 1


def test_paystack_refusing_initialisation_is_a_clear_error(school, bursar, invoice, paystack, monkeypatch):
    from payments.errors import PaymentsError

    paystack.secret = "sk_other"  # our key is wrong: Paystack answers 401
    with pytest.raises(PaymentsError) as error:
        services.intent_create(invoice=invoice, actor=bursar, gateway_name="paystack", email="mum@example.ng")
    assert error.value.code == "gateway_unavailable" and "Invalid key" in error.value.message


def test_gateway_keys_come_from_the_payments_webhook_secret(monkeypatch):
    from payments.gateways import get_gateway

    monkeypatch.setenv("CLASSPOINT_DEV_PAYMENTS_WEBHOOK", '{"paystack": "sk_from_webhook_secret"}')
    monkeypatch.setenv("CLASSPOINT_DEV_PAYMENTS_PAYSTACK_SECRET", "sk_older_name")
    secrets.clear_cache()
    try:
        assert get_gateway("paystack").secret() == "sk_from_webhook_secret"
        monkeypatch.delenv("CLASSPOINT_DEV_PAYMENTS_WEBHOOK")
        secrets.clear_cache()
        assert get_gateway("paystack").secret() == "sk_older_name"  # one secret per gateway also works
    finally:
        secrets.clear_cache()
