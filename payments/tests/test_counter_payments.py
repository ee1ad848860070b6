"""Cash and POS at the counter: a slip's reference is one payment in one school, and only an
issued invoice takes money, whichever route records it (API, workspace, service)."""

import pytest

from classpoint.outbox import worker
from fees import services as fees
from fees.models import Invoice
from fees.tests.factories import issued_invoice
from payments import services
from payments.errors import PaymentsError
from payments.models import PaymentTransaction
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


def second_invoice(school, actor, term_invoice):
    """Another issued invoice of the same school (another pupil in the same class)."""
    student = f.StudentFactory(school=school, admission_number="GFA/0002", first_name="Second")
    f.enroll(student, term_invoice.term, school.class_groups.get())
    draft = fees.invoice_create(school=school, actor=actor, student=student, term=term_invoice.term)
    return fees.invoice_issue(invoice=draft, actor=actor)


def pos(api, slug, invoice, reference, amount_minor=2_500_000):
    return api.post(
        f"/api/v1/schools/{slug}/invoices/{invoice.pk}/payments/",
        {"kind": "pos", "amount_minor": amount_minor, "reference": reference},
    )


def test_the_same_pos_reference_in_another_school_is_that_schools_own_payment(school, other_school, bursar, api):
    # given Greenfield recorded POS slip POS-X
    ours = issued_invoice(school, bursar, "GFA/0001")
    api.force_authenticate(bursar)
    first = pos(api, "greenfield", ours, "POS-X")
    assert first.status_code == 201
    # when Riverside records its own slip with the same printed reference
    river_bursar = f.member(other_school, "bursar")
    theirs = issued_invoice(other_school, river_bursar, "RVC/0001")
    api.force_authenticate(river_bursar)
    second = pos(api, "riverside", theirs, "POS-X", amount_minor=1_000_000)
    # then Riverside's invoice records its payment and nothing of Greenfield's shows
    assert second.status_code == 201, second.json()
    body = second.json()
    assert body["id"] != first.json()["id"]
    assert (body["invoice_id"], body["amount_minor"]) == (theirs.pk, 1_000_000)
    assert PaymentTransaction.objects.for_school(other_school).get().invoice_id == theirs.pk
    worker.drain()
    theirs.refresh_from_db()
    assert theirs.paid_minor == 1_000_000


def test_a_reused_pos_reference_in_the_same_school_is_a_409_naming_the_first_receipt(school, bursar, api):
    # given slip POS-778 recorded on one invoice and its receipt issued
    invoice = issued_invoice(school, bursar, "GFA/0001")
    other = second_invoice(school, bursar, invoice)
    api.force_authenticate(bursar)
    assert pos(api, "greenfield", invoice, "POS-778").status_code == 201
    worker.drain()
    receipt = PaymentTransaction.objects.for_school(school).get().receipt
    # when the same slip is entered again, on the same invoice or on another pupil's
    for target in (invoice, other):
        again = pos(api, "greenfield", target, "POS-778")
        # then it is refused, naming the payment already recorded, and nothing more is recorded
        assert again.status_code == 409, again.json()
        error = again.json()["error"]
        assert error["code"] == "duplicate_reference" and "reference" in error["fields"]
        assert f"already recorded on receipt {receipt.number}" in error["message"]
    assert PaymentTransaction.objects.for_school(school).count() == 1
    other.refresh_from_db()
    assert other.paid_minor == 0


def test_a_reused_reference_before_the_receipt_exists_names_the_transaction(school, bursar):
    invoice = issued_invoice(school, bursar, "GFA/0001")
    tx = services.transaction_record(
        invoice=invoice,
        kind="pos",
        amount_minor=100,
        currency="NGN",
        actor=bursar,
        gateway="counter-pos",
        provider_reference="POS-1",
    )
    with pytest.raises(PaymentsError) as error:
        services.transaction_record(
            invoice=invoice,
            kind="pos",
            amount_minor=100,
            currency="NGN",
            actor=bursar,
            gateway="counter-pos",
            provider_reference="POS-1",
        )
    assert error.value.status_code == 409 and error.value.code == "duplicate_reference"
    assert f"#{tx.pk}" in error.value.message and invoice.number in error.value.message


def test_workspace_shows_the_duplicate_reference_message(school, bursar, verified_client):
    invoice = issued_invoice(school, bursar, "GFA/0001")
    client = verified_client(bursar)
    url = f"/s/greenfield/payments/invoices/{invoice.pk}/payment/"
    client.post(url, {"kind": "pos", "amount": "100.00", "reference": "POS-9"})
    worker.drain()
    receipt = PaymentTransaction.objects.for_school(school).get().receipt
    page = client.post(url, {"kind": "pos", "amount": "100.00", "reference": "POS-9"}, follow=True)
    assert f"already recorded on receipt {receipt.number}" in page.content.decode()
    assert PaymentTransaction.objects.for_school(school).count() == 1


@pytest.mark.parametrize("status", ["draft", "void"])
def test_no_route_takes_money_for_an_invoice_that_is_not_issued(school, bursar, api, verified_client, status):
    # given an invoice that is a draft, or void
    invoice = issued_invoice(school, bursar, "GFA/0001")
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    invoice.refresh_from_db()
    # when money is recorded for it through the service, the API and the workspace
    with pytest.raises(PaymentsError) as error:
        services.transaction_record(invoice=invoice, kind="cash", amount_minor=100, currency="NGN", actor=bursar)
    api.force_authenticate(bursar)
    response = api.post(
        f"/api/v1/schools/greenfield/invoices/{invoice.pk}/payments/", {"kind": "cash", "amount_minor": 100}
    )
    page = verified_client(bursar).post(
        f"/s/greenfield/payments/invoices/{invoice.pk}/payment/",
        {"kind": "cash", "amount": "100.00", "reference": ""},
        follow=True,
    )
    # then each refuses with the same reason and nothing is recorded
    assert error.value.code == "not_payable" and "invoice" in error.value.fields
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_payable"
    assert "Only issued invoices take payments" in page.content.decode()
    assert not PaymentTransaction.objects.exists()
    worker.drain()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == (status, 0)


def test_a_paid_invoice_still_takes_a_counter_payment_as_credit(school, bursar):
    invoice = issued_invoice(school, bursar, "GFA/0001", amount_minor=1_000)
    services.transaction_record(invoice=invoice, kind="cash", amount_minor=1_000, currency="NGN", actor=bursar)
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    tx = services.transaction_record(invoice=invoice, kind="cash", amount_minor=500, currency="NGN", actor=bursar)
    assert tx.status == "confirmed"


def test_a_transfer_proof_for_an_invoice_voided_since_cannot_be_approved(school, bursar, alice):
    from payments import proofs

    from .test_proofs import submit

    # given a proof waiting for review, and the invoice voided meanwhile
    invoice = issued_invoice(school, bursar, "GFA/0001")
    proof = submit(invoice, bursar)
    fees.invoice_void(invoice=invoice, actor=bursar, reason="billed twice")
    # when the bursar approves it
    with pytest.raises(PaymentsError) as error:
        proofs.proof_review(proof_id=proof.pk, school=school, actor=alice, approve=True)
    # then no money is taken and the proof still waits (to be rejected)
    assert error.value.code == "not_payable"
    proof.refresh_from_db()
    assert proof.status == "pending" and proof.transaction.status == "pending"


def test_an_online_payment_for_an_invoice_voided_since_is_kept_flagged_not_credited(client, school, bursar):
    from .test_payments import charge, deliver

    invoice = issued_invoice(school, bursar, "GFA/0001")
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    fees.invoice_void(invoice=invoice, actor=bursar, reason="billed twice")
    deliver(client, charge(intent))
    worker.drain()
    tx = PaymentTransaction.objects.for_school(school).get()
    assert tx.status == "flagged" and "void" in tx.note
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("void", 0)


@pytest.mark.parametrize("status", ["draft", "void"])
def test_no_route_makes_a_pay_link_or_takes_a_proof_for_an_invoice_that_is_not_issued(
    client, school, bursar, api, verified_client, status
):
    import re

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from payments import proofs
    from payments.models import PaymentIntent, PaymentProof

    from .test_proofs import PNG, slip, yesterday

    # given an invoice that is a draft, or void, and the signed link its guardian was sent
    invoice = issued_invoice(school, bursar, "GFA/0001")
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    invoice.refresh_from_db()
    guardian = invoice.student.guardian_links.get().guardian
    guardian_page = re.sub(r"^https?://[^/]+", "", proofs.guardian_link(invoice=invoice, guardian=guardian))
    claim = {"amount": "100.00", "paid_on": yesterday(school).isoformat()}
    # when a pay link or a transfer proof is asked for through the service, the API, the workspace
    # and the guardian's page
    with pytest.raises(PaymentsError) as intent_error:
        services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    with pytest.raises(PaymentsError) as proof_error:
        proofs.proof_submit_upload(
            invoice=invoice, actor=bursar, uploaded=slip(), amount_minor=100, paid_on=yesterday(school)
        )
    api.force_authenticate(bursar)
    base = f"/api/v1/schools/greenfield/invoices/{invoice.pk}"
    api_link = api.post(f"{base}/pay-link/", {"email": "p@x.ng", "gateway": "demo"}, format="json")
    key = default_storage.save(f"{proofs.upload_prefix(school)}/k/slip.png", SimpleUploadedFile("slip.png", PNG))
    api_proof = api.post(
        f"{base}/proofs/", {"file_key": key, "amount_minor": 100, "paid_on": str(yesterday(school))}, format="json"
    )
    staff = verified_client(bursar)
    staff_link = staff.post(f"/s/greenfield/payments/invoices/{invoice.pk}/pay-link/", follow=True)
    staff_proof = staff.post(f"/s/greenfield/payments/invoices/{invoice.pk}/proof/", {**claim, "file": slip()})
    guardian_pay = client.post(guardian_page, {"action": "pay"})
    guardian_proof = client.post(guardian_page, {"action": "proof", "file": slip(), **claim})
    # then every route refuses as not payable, and no pay link, proof or payment exists
    assert intent_error.value.code == proof_error.value.code == "not_payable"
    for response in (api_link, api_proof):
        assert response.status_code == 400 and response.json()["error"]["code"] == "not_payable"
    assert "Only issued invoices take payments" in staff_link.content.decode()
    assert staff_proof.status_code == 400 and guardian_proof.status_code == 400
    assert guardian_pay.status_code == 302 and "checkout" not in guardian_pay.url
    assert not client.get(guardian_page).context["payable"]
    assert not PaymentIntent.objects.exists() and not PaymentProof.objects.exists()
    assert not PaymentTransaction.objects.exists()


@pytest.mark.parametrize(
    ("status", "paid_minor", "payable", "has_balance"),
    [
        ("draft", 0, False, False),
        ("issued", 0, True, True),
        ("partially_paid", 400, True, True),
        ("paid", 1_000, True, False),
        ("void", 0, False, False),
    ],
)
def test_an_invoice_takes_money_once_issued_and_until_void(status, paid_minor, payable, has_balance):
    # given an invoice of 1,000 in each status; then only issued ones take money, and only an
    # unpaid balance is offered to the guardian to pay
    invoice = Invoice(status=status, subtotal_minor=1_000, total_minor=1_000, paid_minor=paid_minor)
    assert (invoice.is_payable, invoice.has_balance_to_pay) == (payable, has_balance)
