import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from classpoint.outbox import worker
from payments import services
from payments.models import PaymentIntent

from .test_payments import charge, deliver, invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_unpaid_pay_links_are_abandoned_after_the_ttl_and_a_late_payment_still_credits(
    client, school, bursar, invoice, capsys
):
    old = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    fresh = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    PaymentIntent.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    call_command("abandon_stale_intents")
    assert "1 payment intent(s) marked abandoned" in capsys.readouterr().out
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("abandoned", "pending")
    assert services.intents_abandon_stale() == 0  # a second sweep finds nothing
    assert "expired" in client.get(f"/payments/demo/checkout/{old.reference}/").content.decode()
    # the guardian had in fact paid on the gateway's page: the late webhook credits and settles it
    deliver(client, charge(old))
    worker.drain()
    old.refresh_from_db()
    invoice.refresh_from_db()
    assert old.status == "succeeded" and invoice.status == "paid"


# --- The gateway is asked outside any transaction -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_pay_link_asks_the_gateway_with_no_transaction_open(school, bursar, invoice, monkeypatch):
    from django.db import connection

    from payments.gateways import DemoGateway

    # given a gateway that notes what it saw of the database when asked for a checkout
    seen = {}
    original = DemoGateway.initialize

    def initialize(self, intent, *, email, callback_url):
        seen["in_transaction"] = connection.in_atomic_block
        seen["stored"] = list(PaymentIntent.objects.filter(pk=intent.pk).values_list("status", flat=True))
        return original(self, intent, email=email, callback_url=callback_url)

    monkeypatch.setattr(DemoGateway, "initialize", initialize)
    # when a pay link is made
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    # then the gateway was called outside any transaction, after the INITIATED intent was committed,
    # and the pay link is pending with its checkout
    assert seen == {"in_transaction": False, "stored": ["initiated"]}
    intent.refresh_from_db()
    assert intent.status == "pending" and intent.checkout_url.endswith(f"/checkout/{intent.reference}/")


@pytest.mark.django_db(transaction=True)
def test_a_gateway_refusing_a_pay_link_leaves_it_failed(school, bursar, invoice, monkeypatch):
    from payments.errors import PaymentsError
    from payments.gateways import DemoGateway, GatewayError

    def initialize(self, intent, *, email, callback_url):
        raise GatewayError("The gateway is down.")

    monkeypatch.setattr(DemoGateway, "initialize", initialize)
    # when the gateway refuses to open a checkout
    with pytest.raises(PaymentsError) as error:
        services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    # then the payer is told, and the pay link is kept as failed with no checkout
    assert error.value.code == "gateway_unavailable" and "down" in error.value.message
    intent = PaymentIntent.objects.get()
    assert (intent.status, intent.checkout_url) == ("failed", "")
