"""Webhooks that are signed but wrong: a second event for a settled payment, an event of another
gateway, malformed or absurd payloads, a gateway with no key. None credits twice, none is a 500."""

import json
import os
import subprocess
import sys

import pytest
from django.db import IntegrityError, transaction

from classpoint import secrets
from classpoint.models import AuditLog, OutboxEvent
from classpoint.outbox import worker
from classpoint.testing import run_concurrently
from payments import services
from payments.errors import PaymentsError
from payments.gateways import DemoGateway
from payments.models import PaymentIntent, PaymentTransaction, Receipt, WebhookEvent
from schools.tests import factories as f

from .test_counter_payments import issued_invoice, second_invoice
from .test_payments import charge, deliver
from .test_paystack import paystack  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(school, bursar):
    return issued_invoice(school, bursar, "GFA/0001")


@pytest.fixture
def intent(invoice, bursar):
    return services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")


# --- One payment, credited once -------------------------------------------------------------


def test_two_success_events_for_one_payment_credit_it_once(client, school, invoice, intent):
    # given the gateway reports the charge twice, under two event ids
    assert deliver(client, charge(intent, event_id="1")).json()["duplicate"] is False
    assert deliver(client, charge(intent, event_id="2")).json()["duplicate"] is False
    # when both are processed
    worker.drain()
    # then one transaction, one receipt, one credit; the second event is kept and marked ignored
    assert PaymentTransaction.objects.count() == 1 and Receipt.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="payment.confirmed").count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_minor == 10_000_000 and invoice.family_credit_minor == 0
    second = WebhookEvent.objects.get(event_id="charge.success:2")
    assert second.status == "ignored" and "already settled" in second.problem


def test_a_later_event_with_another_amount_for_a_settled_payment_is_flagged(client, school, invoice, intent):
    deliver(client, charge(intent, event_id="1"))
    deliver(client, charge(intent, event_id="2", amount=5_000))
    worker.drain()
    assert PaymentTransaction.objects.count() == 1
    second = WebhookEvent.objects.get(event_id="charge.success:2")
    assert second.status == "flagged" and "5000" in second.problem
    # the bursar sees it in the school's audit log
    assert AuditLog.objects.filter(school=school, action="payment.webhook_flagged").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_events_for_one_payment_processed_at_once_credit_it_once(school, bursar):
    # given two stored events for one pay link, each with its own id
    inv = issued_invoice(school, bursar, "GFA/0001")
    pay = services.intent_create(invoice=inv, actor=bursar, gateway_name="demo", email="p@x.ng")
    from payments.gateways import get_gateway

    events = [
        services.webhook_receive(gateway=get_gateway("demo"), payload=charge(pay, event_id=str(n)))[0].pk
        for n in range(4)
    ]
    # when four workers process them at the same moment
    errors = run_concurrently(lambda ids: services.webhook_process(webhook_event_id=ids[0]), [[e] for e in events])
    # then the payment is credited once
    assert not errors
    assert PaymentTransaction.objects.filter(intent=pay).count() == 1
    assert OutboxEvent.objects.filter(event_type="payment.confirmed").count() == 1
    assert WebhookEvent.objects.filter(status="ignored").count() == 3


def test_a_gateway_reference_redelivered_returns_the_transaction_of_its_own_school(school, other_school, bursar):
    # given each school holds a charge with the same gateway reference
    ours = issued_invoice(school, bursar, "GFA/0001")
    theirs = issued_invoice(other_school, f.member(other_school, "bursar"), "RVC/0001")

    def record(invoice):
        return services.transaction_record(
            invoice=invoice,
            kind="gateway",
            gateway="demo",
            provider_reference="CHG-1",
            amount_minor=500,
            currency="NGN",
            actor=None,
        )

    first_ours, first_theirs = record(ours), record(theirs)
    # when the same charge is recorded again in each school
    again_ours, again_theirs = record(ours), record(theirs)
    # then each gets its own school's transaction back, and nothing new
    assert first_ours.pk != first_theirs.pk
    assert (again_ours.pk, again_theirs.pk) == (first_ours.pk, first_theirs.pk)
    assert again_theirs.school_id == other_school.pk and PaymentTransaction.objects.count() == 2


def test_the_database_refuses_a_second_credit_for_one_intent(school, invoice, intent):
    fields = dict(
        school=school,
        invoice=invoice,
        intent=intent,
        kind="gateway",
        gateway="demo",
        amount_minor=1,
        currency="NGN",
        status="confirmed",
    )
    PaymentTransaction.objects.create(provider_reference="a", **fields)
    PaymentTransaction.objects.create(provider_reference="b", **{**fields, "status": "flagged"})
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentTransaction.objects.create(provider_reference="c", **fields)


# --- An event acts on its own gateway's payments only --------------------------------------


def test_a_demo_event_does_not_settle_a_paystack_payment(client, school, bursar, invoice, paystack):
    # given a Paystack pay link that Paystack says was never paid
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="paystack", email="m@example.ng")
    # when a correctly signed demo-gateway event names its reference
    assert deliver(client, charge(intent), gateway="demo").status_code == 200
    worker.drain()
    # then nothing is credited and the event is kept as naming no payment of the demo gateway
    assert not PaymentTransaction.objects.exists()
    intent.refresh_from_db()
    assert intent.status == "pending"
    assert WebhookEvent.objects.get().status == "ignored"
    assert OutboxEvent.objects.get(event_type="payments.webhook_received").school_id is None


def test_a_disabled_demo_gateway_takes_no_webhook_and_makes_no_pay_link(
    client, api, settings, school, bursar, invoice, intent
):
    # given a deployment where the demo gateway is not enabled
    raw = json.dumps(charge(intent)).encode()
    signature = DemoGateway().sign(raw)  # with its (public) development key
    settings.PAYMENTS_DEMO_GATEWAY_ENABLED = False
    # when its webhook, its checkout page or a pay link through it is asked for
    hook = client.post("/payments/webhook/demo/", raw, content_type="application/json", HTTP_X_DEMO_SIGNATURE=signature)
    page = client.get(f"/payments/demo/checkout/{intent.reference}/")
    with pytest.raises(PaymentsError) as error:
        services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    api.force_authenticate(bursar)
    link = api.post(
        f"/api/v1/schools/greenfield/invoices/{invoice.pk}/pay-link/", {"gateway": "demo", "email": "p@x.ng"}
    )
    # then there is no such gateway
    assert hook.status_code == 404 and page.status_code == 404
    assert "gateway" in error.value.fields
    assert link.status_code == 400 and "gateway" in link.json()["error"]["fields"]
    assert not WebhookEvent.objects.exists() and PaymentIntent.objects.count() == 1


def test_an_event_stored_before_the_demo_gateway_was_disabled_credits_nothing(client, settings, invoice, intent):
    deliver(client, charge(intent))
    settings.PAYMENTS_DEMO_GATEWAY_ENABLED = False
    worker.drain()
    assert not PaymentTransaction.objects.exists()
    assert WebhookEvent.objects.get().status == "ignored"
    assert OutboxEvent.objects.get(event_type="payments.webhook_received").processed_at is not None


@pytest.mark.parametrize(("env", "enabled"), [("dev", "True"), ("stage", "False"), ("prod", "False")])
def test_the_demo_gateway_is_enabled_by_default_only_in_dev(env, enabled):
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "CLASSPOINT_ENV": env,
        "SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "classpoint.settings",
    }
    code = "from django.conf import settings; print(settings.PAYMENTS_DEMO_GATEWAY_ENABLED)"
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == enabled


# --- Malformed, absurd, unconfigured: a clear answer, never a 500 ---------------------------


def _payload(intent, **data):
    body = {"id": "1", "reference": intent.reference, "amount": intent.amount_minor, "currency": "NGN"}
    return {"event": "charge.success", "data": {**body, **data}}


@pytest.mark.parametrize(
    "case",
    [
        "long_event_id",
        "long_reference",
        "nul_in_reference",
        "nul_elsewhere",
        "infinity_elsewhere",
        "nan_elsewhere",
        "infinite_amount",
        "nan_amount",
        "fractional_amount",
        "text_amount",
        "bad_currency",
        "object_id",
        "not_an_object",
        "deeply_nested",
    ],
)
def test_malformed_signed_payloads_are_a_400_and_store_nothing(client, school, intent, case):
    raw = {
        "long_event_id": lambda: json.dumps(_payload(intent, id="9" * 300)),
        "long_reference": lambda: json.dumps(_payload(intent, reference="R" * 300)),
        "nul_in_reference": lambda: json.dumps(_payload(intent, reference=intent.reference + "\x00")),
        "nul_elsewhere": lambda: json.dumps({**_payload(intent), "customer": {"name": "a\x00b"}}),
        "infinity_elsewhere": lambda: json.dumps(_payload(intent)).replace('"NGN"', '"NGN", "fees": 1e999'),
        "nan_elsewhere": lambda: json.dumps({**_payload(intent), "log": [float("nan")]}),
        "infinite_amount": lambda: json.dumps(_payload(intent)).replace(str(intent.amount_minor), "1e999"),
        "nan_amount": lambda: json.dumps(_payload(intent, amount=float("nan"))),
        "fractional_amount": lambda: json.dumps(_payload(intent, amount=100.5)),
        "text_amount": lambda: json.dumps(_payload(intent, amount="lots")),
        "bad_currency": lambda: json.dumps(_payload(intent, currency="NAIRA" * 10)),
        "object_id": lambda: json.dumps(_payload(intent, id={"a": 1})),
        "not_an_object": lambda: json.dumps([1, 2]),
        "deeply_nested": lambda: "[" * 100_000 + "]" * 100_000,
    }[case]().encode()
    response = deliver(client, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert (
        not WebhookEvent.objects.exists()
        and not OutboxEvent.objects.filter(event_type="payments.webhook_received").exists()
    )


@pytest.mark.parametrize("amount", [2**63, 2**70, -5_000, 0])
def test_a_signed_event_with_an_absurd_amount_is_stored_and_flagged_once(client, school, invoice, intent, amount):
    # given a correctly signed event for a real pay link, with an amount no payment can have
    response = deliver(client, _payload(intent, amount=amount))
    # when it is processed
    worker.drain()
    worker.drain()
    # then it is kept, flagged once for the school, and neither credited nor retried
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "flagged" and str(amount) in event.problem
    outbox = OutboxEvent.objects.get(event_type="payments.webhook_received")
    assert outbox.processed_at is not None and outbox.attempts == 0 and not outbox.last_error  # never failed
    assert AuditLog.objects.filter(school=school, action="payment.webhook_flagged").count() == 1
    assert not PaymentTransaction.objects.exists()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 0


@pytest.fixture
def no_gateway_secrets(monkeypatch):
    for name in list(os.environ):
        if name.startswith("CLASSPOINT_") and "_PAYMENTS_" in name:
            monkeypatch.delenv(name)
    secrets.clear_cache()
    yield
    secrets.clear_cache()


def test_a_webhook_for_paystack_without_a_key_is_refused_without_a_500(client, school, no_gateway_secrets, caplog):
    raw = json.dumps(
        {"event": "charge.success", "data": {"id": 1, "reference": "CP-X", "amount": 1, "currency": "NGN"}}
    ).encode()
    response = client.post(
        "/payments/webhook/paystack/", raw, content_type="application/json", HTTP_X_PAYSTACK_SIGNATURE="0" * 128
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "gateway_not_configured"
    assert "secret" not in response.json()["error"]["message"].lower()  # the secret's name stays in the log
    assert any(r.levelname == "ERROR" and "paystack" in r.getMessage() for r in caplog.records)
    assert not WebhookEvent.objects.exists()


def test_a_demo_webhook_in_production_without_a_key_is_refused_without_a_500(
    client, settings, school, no_gateway_secrets
):
    settings.CLASSPOINT_ENV, settings.DEBUG, settings.PAYMENTS_DEMO_GATEWAY_ENABLED = "prod", False, True
    response = client.post(
        "/payments/webhook/demo/", b"{}", content_type="application/json", HTTP_X_DEMO_SIGNATURE="0" * 128
    )
    assert response.status_code == 503


# --- The gateway is asked outside any row lock ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_verified_with_no_transaction_open(school, bursar, monkeypatch):
    from django.db import connection

    # given a stored event for a pay link, and a gateway that notes whether a transaction is open
    inv = issued_invoice(school, bursar, "GFA/0001")
    pay = services.intent_create(invoice=inv, actor=bursar, gateway_name="demo", email="p@x.ng")
    event, _ = services.webhook_receive(gateway=DemoGateway(), payload=charge(pay))
    seen = []

    def verify(self, reference):
        seen.append(connection.in_atomic_block)
        return {"status": "success", "amount_minor": pay.amount_minor, "currency": pay.currency}

    monkeypatch.setattr(DemoGateway, "verify", verify)
    # when it is processed
    tx = services.webhook_process(webhook_event_id=event.pk)
    # then the gateway was asked once, outside any transaction, and the charge credited
    assert seen == [False]
    assert tx.status == "confirmed" and WebhookEvent.objects.get(pk=event.pk).status == "processed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_gateway_holds_no_lock_and_other_events_still_drain(school, bursar, monkeypatch):
    import threading

    from django.db import DatabaseError, connection

    # given a pay link with a stored charge, a counter payment waiting for its receipt, and a
    # gateway whose verification hangs until released
    inv = issued_invoice(school, bursar, "GFA/0001")
    pay = services.intent_create(invoice=inv, actor=bursar, gateway_name="demo", email="p@x.ng")
    other = second_invoice(school, bursar, inv)
    worker.drain()
    event, _ = services.webhook_receive(gateway=DemoGateway(), payload=charge(pay))
    cash = services.transaction_record(invoice=other, kind="cash", amount_minor=500, currency="NGN", actor=bursar)
    entered, release = threading.Event(), threading.Event()

    def verify(self, reference):
        entered.set()
        release.wait(timeout=30)
        return None

    monkeypatch.setattr(DemoGateway, "verify", verify)
    # when one worker is stuck asking the gateway
    slow = threading.Thread(target=lambda: (worker.drain(batch_size=1), connection.close()))
    slow.start()
    try:
        assert entered.wait(timeout=30)
        # then the pay link and its event can be locked by anyone else, and another worker drains
        # the other events meanwhile
        with transaction.atomic():
            PaymentIntent.objects.select_for_update(nowait=True).get(pk=pay.pk)
            WebhookEvent.objects.select_for_update(nowait=True).get(pk=event.pk)
        worker.drain()
        assert Receipt.objects.filter(transaction=cash).exists()
        assert not PaymentTransaction.objects.filter(intent=pay).exists()
    except DatabaseError as exc:  # a row lock held across the gateway call
        pytest.fail(f"locked while the gateway was asked: {exc}")
    finally:
        release.set()
        slow.join(timeout=30)
    # and once the gateway answers, the charge is credited
    assert PaymentTransaction.objects.get(intent=pay).status == "confirmed"
