import pytest

from classpoint.outbox import worker

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_pay_link_counter_payment_transactions_and_receipts(school, bursar, api, invoice):
    api.force_authenticate(bursar)
    base = f"/api/v1/schools/greenfield/invoices/{invoice.pk}"
    link = api.post(f"{base}/pay-link/", {"gateway": "demo", "email": "mum@example.ng"})
    assert link.status_code == 201 and "/payments/demo/checkout/" in link.json()["checkout_url"]
    paid = api.post(f"{base}/payments/", {"kind": "pos", "amount_minor": 2_500_000, "reference": "POS-778"})
    assert paid.status_code == 201, paid.json()
    again = api.post(f"{base}/payments/", {"kind": "pos", "amount_minor": 2_500_000, "reference": "POS-778"})
    assert again.status_code == 409  # the same slip is one payment (test_counter_payments.py has the rest)
    worker.drain()
    txs = api.get("/api/v1/schools/greenfield/transactions/").json()
    assert txs["count"] == 1 and txs["results"][0]["receipt_number"].startswith("RCT-")
    assert api.get("/api/v1/schools/greenfield/receipts/").json()["count"] == 1
    assert api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/").json()["balance_minor"] == 7_500_000


def test_bad_counter_payment_is_a_field_error(school, bursar, api, invoice):
    api.force_authenticate(bursar)
    response = api.post(
        f"/api/v1/schools/greenfield/invoices/{invoice.pk}/payments/", {"kind": "cheque", "amount_minor": 0}
    )
    assert response.status_code == 400 and {"kind", "amount_minor"} <= set(response.json()["error"]["fields"])


def test_teacher_cannot_see_payments(school, teacher, api):
    api.force_authenticate(teacher)
    assert api.get("/api/v1/schools/greenfield/transactions/").status_code == 403


def test_reversal_after_partial_payment_restores_the_balance_once(school, bursar, api, invoice):
    from fees import services as fees
    from fees.models import Invoice

    api.force_authenticate(bursar)
    base = "/api/v1/schools/greenfield"
    first = api.post(f"{base}/invoices/{invoice.pk}/payments/", {"kind": "cash", "amount_minor": 3_000_000}).json()
    api.post(f"{base}/invoices/{invoice.pk}/payments/", {"kind": "cash", "amount_minor": 2_000_000})
    worker.drain()
    assert Invoice.objects.get(pk=invoice.pk).balance_minor == 5_000_000
    missing = api.post(f"{base}/transactions/{first['id']}/reverse/", {"reason": ""})
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    reversed_ = api.post(f"{base}/transactions/{first['id']}/reverse/", {"reason": "cheque bounced"})
    assert reversed_.status_code == 200 and reversed_.json()["status"] == "reversed"
    worker.drain()
    # a redelivery: no-op
    fees.invoice_reverse_payment(school=school, invoice_id=invoice.pk, transaction_id=first["id"])
    inv = Invoice.objects.get(pk=invoice.pk)
    assert (inv.status, inv.paid_minor, inv.balance_minor) == ("partially_paid", 2_000_000, 8_000_000)
    receipts = {r["transaction_id"]: r["is_void"] for r in api.get(f"{base}/receipts/").json()["results"]}
    assert receipts[first["id"]] is True
    again = api.post(f"{base}/transactions/{first['id']}/reverse/", {"reason": "again"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_reversible"


def test_other_schools_transaction_cannot_be_reversed(school, other_school, bursar, api, invoice):
    from payments import services
    from payments.errors import PaymentsError

    tx = services.transaction_record(invoice=invoice, kind="cash", amount_minor=100, currency="NGN", actor=bursar)
    with pytest.raises(PaymentsError):
        services.transaction_reverse(transaction_id=tx.pk, school=other_school, actor=bursar, reason="x")
    api.force_authenticate(bursar)
    assert api.post(f"/api/v1/schools/riverside/transactions/{tx.pk}/reverse/", {"reason": "x"}).status_code == 404


def test_payment_intents_are_listed_with_filters_and_scoped(school, other_school, bursar, charlie, api, invoice):
    from payments import services

    services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    api.force_authenticate(bursar)
    listed = api.get(f"/api/v1/schools/greenfield/payment-intents/?invoice={invoice.pk}&status=pending").json()
    assert listed["count"] == 1 and listed["results"][0]["checkout_url"].startswith("http")
    assert api.get("/api/v1/schools/greenfield/payment-intents/?status=succeeded").json()["count"] == 0
    api.force_authenticate(charlie)
    assert api.get("/api/v1/schools/riverside/payment-intents/").json()["count"] == 0
