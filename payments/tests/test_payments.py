import json
import threading
import time

import pytest

from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from classpoint.testing import run_concurrently
from fees import services as fees
from fees.models import Invoice
from payments import services
from payments.gateways import get_gateway
from payments.models import PaymentTransaction, Receipt, WebhookEvent
from schools.models import Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(school, bursar):
    term, group = school.current_term(), school.class_groups.get()
    item = fees.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    fees.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="JSS1",
        lines=[{"fee_item": item, "amount_minor": 10_000_000}],
    )
    draft = fees.invoice_create(
        school=school, actor=bursar, student=school.students.get(admission_number="GFA/0001"), term=term
    )
    return fees.invoice_issue(invoice=draft, actor=bursar)


def deliver(client, payload, gateway="demo", signature=None, raw=None):
    raw = raw if raw is not None else json.dumps(payload).encode()
    gw = get_gateway(gateway)
    headers = {f"HTTP_{gw.signature_header.upper().replace('-', '_')}": signature or gw.sign(raw)}
    return client.post(f"/payments/webhook/{gateway}/", raw, content_type="application/json", **headers)


def charge(intent, amount=None, currency=None, event_id="1"):
    amount = intent.amount_minor if amount is None else amount
    data = {"id": event_id, "reference": intent.reference, "amount": amount, "currency": currency or intent.currency}
    return {"event": "charge.success", "data": data}


def test_demo_payment_credits_the_invoice_and_issues_a_receipt(client, school, invoice, bursar):
    # given a pay link for the issued invoice
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    assert intent.checkout_url.endswith(f"/payments/demo/checkout/{intent.reference}/")
    # when the gateway reports the charge
    response = deliver(client, charge(intent))
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    worker.drain()
    # then the invoice is paid, once, with a numbered receipt
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("paid", 10_000_000, 0)
    tx = PaymentTransaction.objects.get(invoice=invoice)
    assert tx.status == "confirmed" and tx.receipt.number.endswith("-000001")
    intent.refresh_from_db()
    assert intent.status == "succeeded"


def test_partial_payment_then_the_rest(client, school, invoice, bursar):
    services.transaction_record(invoice=invoice, kind="cash", amount_minor=4_000_000, currency="NGN", actor=bursar)
    worker.drain()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_minor) == ("partially_paid", 6_000_000)
    services.transaction_record(invoice=invoice, kind="pos", amount_minor=7_000_000, currency="NGN", actor=bursar)
    worker.drain()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("paid", 10_000_000)
    assert invoice.allocations.last().credit_minor == 1_000_000  # the overpayment is kept as credit
    assert list(Receipt.objects.for_school(school).order_by("number").values_list("number", flat=True))[-1].endswith(
        "000002"
    )


def test_replayed_webhook_credits_once(client, school, invoice, bursar):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    for _ in range(3):
        deliver(client, charge(intent))
    assert deliver(client, charge(intent)).json()["duplicate"] is True
    worker.drain()
    assert PaymentTransaction.objects.count() == 1 and Receipt.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="payment.confirmed").count() == 1


@pytest.mark.parametrize("case", ["forged", "missing", "tampered"])
def test_bad_signatures_store_nothing(client, school, invoice, bursar, case):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    payload = charge(intent)
    raw = json.dumps(payload).encode()
    gw = get_gateway("demo")
    if case == "forged":
        response = deliver(client, payload, signature="0" * 128)
    elif case == "missing":
        response = client.post("/payments/webhook/demo/", raw, content_type="application/json")
    else:
        signed_for = gw.sign(raw)
        response = deliver(client, payload, signature=signed_for, raw=raw.replace(b"10000000", b"99000000"))
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists() and not PaymentTransaction.objects.exists()


def test_amount_or_currency_mismatch_is_flagged_not_credited(client, school, invoice, bursar):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    deliver(client, charge(intent, amount=100, event_id="a"))
    worker.drain()
    tx = PaymentTransaction.objects.get()
    assert tx.status == "flagged" and "the gateway reported ₦1.00 but the pay link was for" in tx.note
    invoice.refresh_from_db()
    assert invoice.paid_minor == 0 and not Receipt.objects.exists()


def test_unknown_reference_credits_nothing(client, school, invoice):
    payload = {"event": "charge.success", "data": {"id": "9", "reference": "CP-NOPE", "amount": 1, "currency": "NGN"}}
    assert deliver(client, payload).status_code == 200
    worker.drain()
    assert not PaymentTransaction.objects.exists()


def test_paystack_signature_is_hmac_sha512_of_the_raw_body(client, school, invoice, bursar, monkeypatch):
    import hashlib
    import hmac

    monkeypatch.setenv("CLASSPOINT_DEV_PAYMENTS_PAYSTACK_SECRET", "sk_test_xyz")
    from classpoint import secrets

    secrets.clear_cache()
    raw = b'{"event":"charge.success","data":{"id":5,"reference":"CP-X","amount":1,"currency":"NGN"}}'
    good = hmac.new(b"sk_test_xyz", raw, hashlib.sha512).hexdigest()
    assert deliver(client, None, gateway="paystack", signature=good, raw=raw).status_code == 200
    assert (
        deliver(
            client, None, gateway="paystack", signature=good[:-1] + ("1" if good[-1] == "0" else "0"), raw=raw
        ).status_code
        == 401
    )
    secrets.clear_cache()


def test_draft_invoice_cannot_be_paid(school, bursar, invoice):
    from payments.errors import PaymentsError

    Invoice.objects.filter(pk=invoice.pk).update(status="draft")
    invoice.refresh_from_db()
    with pytest.raises(PaymentsError):
        services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")


def test_demo_checkout_page_shows_the_amount(client, school, invoice, bursar):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    page = client.get(f"/payments/demo/checkout/{intent.reference}/")
    assert page.status_code == 200 and "₦100,000.00" in page.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_confirmations_get_receipts_1_to_200(school, bursar):
    # given 200 issued invoices
    term, group = school.current_term(), school.class_groups.get()
    item = fees.fee_item_create(school=school, actor=bursar, code="t", name="T")
    fees.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="S",
        lines=[{"fee_item": item, "amount_minor": 5000}],
    )
    invoices = []
    for i in range(200):
        student = Student.objects.create(school=school, admission_number=f"P{i}", first_name="P", last_name=str(i))
        f.enroll(student, term, group)
        invoices.append(
            fees.invoice_issue(
                invoice=fees.invoice_create(school=school, actor=bursar, student=student, term=term), actor=bursar
            )
        )

    def confirm(chunk):
        for inv in chunk:
            tx = services.transaction_record(invoice=inv, kind="cash", amount_minor=5000, currency="NGN", actor=None)
            services.receipt_issue(school=school, transaction_id=tx.pk)

    # when ten clerks confirm payments at the same time
    errors = run_concurrently(confirm, [invoices[i::10] for i in range(10)])
    # then receipt numbers are exactly 1..200
    assert not errors
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in Receipt.objects.for_school(school).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 201))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_50_times_at_once_credits_once(school, bursar, live_server):
    import requests

    term, group = school.current_term(), school.class_groups.get()
    item = fees.fee_item_create(school=school, actor=bursar, code="t", name="T")
    fees.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="S",
        lines=[{"fee_item": item, "amount_minor": 10_000_000}],
    )
    student = school.students.get(admission_number="GFA/0001")
    draft = fees.invoice_create(school=school, actor=bursar, student=student, term=term)
    inv = fees.invoice_issue(invoice=draft, actor=bursar)
    intent = services.intent_create(invoice=inv, actor=bursar, gateway_name="demo", email="p@x.ng")
    raw = json.dumps(charge(intent)).encode()
    gw = get_gateway("demo")
    headers = {"Content-Type": "application/json", gw.signature_header: gw.sign(raw)}
    statuses = []
    barrier = threading.Barrier(50)

    def send():
        barrier.wait()
        # The test server's listen backlog is small; like a real gateway, retry a refused delivery.
        for attempt in range(10):
            try:
                response = requests.post(
                    f"{live_server.url}/payments/webhook/demo/", data=raw, headers=headers, timeout=30
                )
            except requests.ConnectionError:
                time.sleep(0.05 * (attempt + 1))
                continue
            statuses.append(response.status_code)
            return

    threads = [threading.Thread(target=send) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 50
    worker.drain()
    assert WebhookEvent.objects.count() == 1
    assert PaymentTransaction.objects.count() == 1 and Receipt.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="payment.confirmed").count() == 1
    inv.refresh_from_db()
    assert inv.paid_minor == 10_000_000
