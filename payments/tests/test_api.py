import pytest

from classpoint.outbox import worker

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_pay_link_counter_payment_transactions_and_receipts(school, bursar, api, invoice):  # noqa: F811
    api.force_authenticate(bursar)
    base = f"/api/v1/schools/greenfield/invoices/{invoice.pk}"
    link = api.post(f"{base}/pay-link/", {"gateway": "demo", "email": "mum@example.ng"})
    assert link.status_code == 201 and "/payments/demo/checkout/" in link.json()["checkout_url"]
    paid = api.post(f"{base}/payments/", {"kind": "pos", "amount_minor": 2_500_000, "reference": "POS-778"})
    assert paid.status_code == 201, paid.json()
    again = api.post(f"{base}/payments/", {"kind": "pos", "amount_minor": 2_500_000, "reference": "POS-778"})
    assert again.json()["id"] == paid.json()["id"]  # the same slip is one payment
    worker.drain()
    txs = api.get("/api/v1/schools/greenfield/transactions/").json()
    assert txs["count"] == 1 and txs["results"][0]["receipt_number"].startswith("RCT-")
    assert api.get("/api/v1/schools/greenfield/receipts/").json()["count"] == 1
    assert api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/").json()["balance_minor"] == 7_500_000


def test_bad_counter_payment_is_a_field_error(school, bursar, api, invoice):  # noqa: F811
    api.force_authenticate(bursar)
    response = api.post(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/payments/", {"kind": "cheque",
                                                                                       "amount_minor": 0})  # fmt: skip
    assert response.status_code == 400 and {"kind", "amount_minor"} <= set(response.json()["error"]["fields"])


def test_teacher_cannot_see_payments(school, teacher, api):
    api.force_authenticate(teacher)
    assert api.get("/api/v1/schools/greenfield/transactions/").status_code == 403
