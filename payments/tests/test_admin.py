"""The Django admin for platform operators: every payment record can be found by its reference and
read, none can be added, changed or deleted there (money moves only through the audited services)."""

import pytest

from classpoint.outbox import worker
from payments import services
from payments.gateways import DemoGateway
from payments.models import PaymentIntent, PaymentTransaction, Receipt, WebhookEvent

from .test_counter_payments import issued_invoice
from .test_payments import charge

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("ops@classpoint.ng", "ops@classpoint.ng", "pw-0123456789")


@pytest.fixture
def settled(school, bursar):
    """An online payment credited through a webhook, with its receipt."""
    invoice = issued_invoice(school, bursar, "GFA/0001")
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    event, _ = services.webhook_receive(gateway=DemoGateway(), payload=charge(intent, event_id="ch_77"))
    worker.drain()
    tx = PaymentTransaction.objects.get(intent=intent)
    return {
        "intent": intent,
        "event": WebhookEvent.objects.get(pk=event.pk),
        "tx": tx,
        "receipt": Receipt.objects.get(transaction=tx),
    }


@pytest.mark.parametrize(
    ("model", "found_by"),
    [
        ("paymentintent", lambda s: s["intent"].reference),
        ("webhookevent", lambda s: s["intent"].reference),
        ("paymenttransaction", lambda s: s["tx"].provider_reference),
        ("paymenttransaction", lambda s: s["intent"].reference),
        ("receipt", lambda s: s["receipt"].number),
    ],
)
def test_operator_finds_a_payment_record_by_its_reference(verified_client, operator, settled, model, found_by):
    client = verified_client(operator)
    # when the operator searches the changelist for the record's reference, and for another one
    found = client.get(f"/admin/payments/{model}/", {"q": found_by(settled)})
    missed = client.get(f"/admin/payments/{model}/", {"q": "CP-NOSUCHREFERENCE"})
    # then the record is listed once, and not for the other reference
    assert found.status_code == 200 and found.context["cl"].result_count == 1
    assert missed.status_code == 200 and missed.context["cl"].result_count == 0


@pytest.mark.parametrize(
    ("model", "filters"),
    [
        ("paymentintent", {"gateway": "demo", "status__exact": "succeeded"}),
        ("webhookevent", {"gateway": "demo", "status__exact": "processed"}),
        ("paymenttransaction", {"gateway": "demo", "status__exact": "confirmed", "kind__exact": "gateway"}),
        ("receipt", {"is_void__exact": "0"}),
    ],
)
def test_operator_filters_payment_records(verified_client, operator, settled, school, model, filters):
    client = verified_client(operator)
    if model != "webhookevent":  # an event belongs to a gateway, not (yet) to a school
        filters = {**filters, "school__id__exact": str(school.pk)}
    page = client.get(f"/admin/payments/{model}/", filters)
    assert page.status_code == 200 and page.context["cl"].result_count == 1


@pytest.mark.parametrize("key", ["intent", "event", "tx", "receipt"])
def test_payment_records_are_read_only_in_the_admin(verified_client, operator, settled, key):
    obj = settled[key]
    base = f"/admin/payments/{obj._meta.model_name}/"
    client = verified_client(operator)
    # the record can be opened and read
    page = client.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    # and nothing can be added, changed or deleted
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403
    assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert PaymentIntent.objects.count() == 1
