import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from classpoint.outbox import worker
from payments import services
from payments.models import PaymentIntent

from .test_payments import charge, deliver, invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_unpaid_pay_links_are_abandoned_after_the_ttl_and_a_late_payment_still_credits(client, school, bursar,
                                                                                     invoice, capsys):  # noqa: F811  # fmt: skip
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
