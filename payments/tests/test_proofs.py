import datetime
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from classpoint.models import AuditLog, OutboxEvent
from classpoint.outbox import worker
from classpoint.testing import run_concurrently
from payments import proofs
from payments.errors import PaymentsError
from payments.models import PaymentProof, PaymentTransaction, Receipt

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def slip(content=PNG, name="slip.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def yesterday(school):
    return school.local_today() - datetime.timedelta(days=1)


def submit(invoice, actor, amount=4_000_000, reference="", content=PNG, **extra):
    return proofs.proof_submit_upload(
        invoice=invoice,
        actor=actor,
        uploaded=slip(content),
        amount_minor=amount,
        paid_on=yesterday(invoice.school),
        bank_reference=reference,
        **extra,
    )


def test_submitted_proof_is_pending_and_credits_nothing(school, bursar, invoice):
    proof = submit(invoice, bursar, reference="GTB-1")
    assert proof.status == "pending" and proof.content_type == "image/png"
    assert proof.transaction.status == PaymentTransaction.Status.PENDING
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 0 and not Receipt.objects.for_school(school).exists()
    assert not OutboxEvent.objects.filter(event_type="payment.confirmed").exists()


def test_approval_credits_once_and_issues_a_receipt(school, bursar, alice, invoice):
    proof = submit(invoice, bursar)
    proofs.proof_review(proof_id=proof.pk, school=school, actor=alice, approve=True)
    worker.drain()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("partially_paid", 4_000_000)
    tx = PaymentTransaction.objects.get(pk=proof.transaction_id)
    assert tx.status == "confirmed" and tx.receipt.number.startswith("RCT-")
    with pytest.raises(PaymentsError) as error:
        proofs.proof_review(proof_id=proof.pk, school=school, actor=alice, approve=False, reason="late")
    assert error.value.code == "already_reviewed"
    assert AuditLog.objects.filter(action="payment_proof.approved", target_id=str(proof.pk)).count() == 1


def test_rejection_needs_a_reason_and_tells_the_guardian(school, bursar, invoice):
    proof = submit(invoice, bursar)
    with pytest.raises(PaymentsError) as error:
        proofs.proof_review(proof_id=proof.pk, school=school, actor=bursar, approve=False, reason=" ")
    assert "reason" in error.value.fields
    proofs.proof_review(proof_id=proof.pk, school=school, actor=bursar, approve=False, reason="Not on our statement")
    proof.refresh_from_db()
    assert proof.status == "rejected" and proof.transaction.status == "rejected"
    request = OutboxEvent.objects.get(event_type="messaging.requested")
    guardian = invoice.student.guardian_links.get().guardian
    assert request.payload["template"] == "PAYMENT_PROOF_REJECTED"
    assert request.payload["guardian_ids"] == [guardian.pk]
    assert request.payload["context"]["reason"] == "Not on our statement"
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"MZ\x90\x00 not a slip", "unsupported_type"),
        (b"=cmd|' /C calc'!A0", "unsupported_type"),
        (b"", "invalid_file"),
    ],
)
def test_files_that_are_not_pdf_jpeg_or_png_are_refused_and_not_kept(school, bursar, invoice, content, code):
    with pytest.raises(PaymentsError) as error:
        submit(invoice, bursar, content=content)
    assert error.value.code == code and "file" in error.value.fields
    assert not PaymentProof.objects.exists() and not PaymentTransaction.objects.exists()


def test_oversized_file_is_refused(school, bursar, invoice, settings):
    settings.PROOF_MAX_BYTES = 1024
    with pytest.raises(PaymentsError) as error:
        submit(invoice, bursar, content=PDF + b"x" * 2048)
    assert error.value.code == "file_too_large"


def test_bad_claims_are_field_errors(school, bursar, invoice):
    with pytest.raises(PaymentsError) as error:
        proofs.proof_submit_upload(
            invoice=invoice, actor=bursar, uploaded=slip(), amount_minor=0, paid_on=school.local_today()
        )
    assert "amount_minor" in error.value.fields
    with pytest.raises(PaymentsError) as error:
        proofs.proof_submit_upload(
            invoice=invoice,
            actor=bursar,
            uploaded=slip(),
            amount_minor=100,
            paid_on=school.local_today() + datetime.timedelta(days=3),
        )
    assert "paid_on" in error.value.fields
    assert not PaymentProof.objects.exists()


def test_the_same_bank_reference_cannot_be_sent_twice_unless_rejected(school, bursar, invoice):
    first = submit(invoice, bursar, reference="ZEN-99")
    with pytest.raises(PaymentsError) as error:
        submit(invoice, bursar, reference="zen-99")
    assert error.value.code == "duplicate_reference"
    proofs.proof_review(proof_id=first.pk, school=school, actor=bursar, approve=False, reason="Blurred")
    assert submit(invoice, bursar, reference="ZEN-99").status == "pending"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_credit_once(school, bursar, alice, invoice):
    proof = submit(invoice, bursar)

    def approve(actor):
        proofs.proof_review(proof_id=proof.pk, school=school, actor=actor, approve=True)

    errors = run_concurrently(approve, [alice, bursar, alice, bursar])
    assert sorted(getattr(e, "code", repr(e)) for e in errors) == ["already_reviewed"] * 3
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 4_000_000
    assert Receipt.objects.for_school(school).count() == 1


# --- Workspace ---------------------------------------------------------------------------------


def test_bursar_uploads_a_proof_and_approves_it_from_the_queue(school, bursar, verified_client, invoice):
    client = verified_client(bursar)
    url = f"/s/greenfield/payments/invoices/{invoice.pk}/proof/"
    bad = client.post(url, {"file": slip(b"GIF89a...."), "amount": "40000", "paid_on": yesterday(school)})
    assert bad.status_code == 400 and "PDF, JPEG or PNG" in bad.content.decode()
    response = client.post(
        url,
        {
            "file": slip(PDF, "slip.pdf"),
            "amount": "40,000.00",
            "paid_on": yesterday(school).isoformat(),
            "bank_reference": "UBA-7",
        },
    )
    proof = PaymentProof.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/proofs/{proof.pk}/")
    queue = client.get("/s/greenfield/payments/proofs/")
    assert queue.status_code == 200 and "UBA-7" in queue.content.decode()
    detail = client.get(f"/s/greenfield/payments/proofs/{proof.pk}/").content.decode()
    assert "Approve and credit" in detail
    file_link = client.get(f"/s/greenfield/payments/proofs/{proof.pk}/file/")
    assert file_link.status_code == 302
    served = client.get(file_link.url)
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"%PDF-")
    done = client.post(f"/s/greenfield/payments/proofs/{proof.pk}/review/", {"decision": "approve"})
    assert done.status_code == 302
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 4_000_000


def test_teacher_cannot_review_and_other_school_gets_404(
    school, other_school, bursar, teacher, charlie, verified_client, client, invoice
):
    proof = submit(invoice, bursar)
    verified_client(teacher)
    assert client.get("/s/greenfield/payments/proofs/").status_code == 403
    client.logout()
    verified_client(charlie)
    for url in (f"/s/riverside/payments/proofs/{proof.pk}/", f"/s/riverside/payments/proofs/{proof.pk}/file/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/s/riverside/payments/proofs/{proof.pk}/review/", {"decision": "approve"}).status_code == 404
    proof.refresh_from_db()
    assert proof.status == "pending"


# --- The guardian's secure link --------------------------------------------------------------


def test_guardian_sends_a_proof_through_the_secure_link(client, school, bursar, invoice):
    guardian = invoice.student.guardian_links.get().guardian
    link = proofs.guardian_link(invoice=invoice, guardian=guardian)
    path = re.sub(r"^https?://[^/]+", "", link)
    page = client.get(path)
    assert page.status_code == 200 and invoice.number in page.content.decode()
    response = client.post(
        path,
        {
            "action": "proof",
            "file": slip(),
            "amount": "40000",
            "paid_on": yesterday(school).isoformat(),
            "payer_name": "Mrs A",
        },
    )
    assert response.status_code == 302
    proof = PaymentProof.objects.get()
    assert (proof.source, proof.guardian_id, proof.submitted_by) == ("guardian", guardian.pk, None)
    assert "waiting for review" in client.get(path).content.decode()


def test_guardian_pays_online_from_the_secure_link(client, school, invoice):
    guardian = invoice.student.guardian_links.get().guardian
    path = re.sub(r"^https?://[^/]+", "", proofs.guardian_link(invoice=invoice, guardian=guardian))
    response = client.post(path, {"action": "pay"})
    assert response.status_code == 302 and "/payments/demo/checkout/CP-" in response.url


def test_forged_expired_or_unlinked_guardian_links_are_404(client, school, other_school, invoice, settings):
    guardian = invoice.student.guardian_links.get().guardian
    path = re.sub(r"^https?://[^/]+", "", proofs.guardian_link(invoice=invoice, guardian=guardian))
    assert client.get(path[:-3] + "xx/").status_code == 404
    stranger = other_school.guardians.get()
    foreign = re.sub(r"^https?://[^/]+", "", proofs.guardian_link(invoice=invoice, guardian=stranger))
    assert client.get(foreign).status_code == 404
    settings.GUARDIAN_LINK_MAX_AGE_DAYS = -1
    assert client.get(path).status_code == 404


# --- API -------------------------------------------------------------------------------------


def test_api_upload_url_submit_and_review(school, bursar, api, invoice):
    api.force_authenticate(bursar)
    base = "/api/v1/schools/greenfield"
    target = api.post(f"{base}/proofs/upload-url/", {"file_name": "transfer.pdf"}).json()
    assert target["file_key"].startswith(f"proofs/{school.pk}/uploads/")
    uploaded = api.post(
        target["url"].replace("http://127.0.0.1:8000", ""),
        {"file": SimpleUploadedFile("transfer.pdf", PDF)},
        format="multipart",
    )
    assert uploaded.status_code == 201
    body = {
        "file_key": target["file_key"],
        "amount_minor": 2_500_000,
        "paid_on": str(yesterday(school)),
        "bank_reference": "FBN-12",
    }
    created = api.post(f"{base}/invoices/{invoice.pk}/proofs/", body, format="json")
    assert created.status_code == 201, created.json()
    proof_id = created.json()["id"]
    again = api.post(f"{base}/invoices/{invoice.pk}/proofs/", body, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "duplicate_file"
    assert api.get(f"{base}/proofs/?status=pending").json()["count"] == 1
    assert api.get(f"{base}/proofs/{proof_id}/file-url/").json()["url"]
    reject = api.post(f"{base}/proofs/{proof_id}/review/", {"decision": "reject"}, format="json")
    assert reject.status_code == 400 and "reason" in reject.json()["error"]["fields"]
    approve = api.post(f"{base}/proofs/{proof_id}/review/", {"decision": "approve"}, format="json")
    assert approve.status_code == 200 and approve.json()["status"] == "approved"
    worker.drain()
    assert api.get(f"{base}/invoices/{invoice.pk}/").json()["paid_minor"] == 2_500_000


def test_api_submit_refuses_a_key_outside_the_school_and_a_non_slip(school, other_school, bursar, api, invoice):
    api.force_authenticate(bursar)
    url = f"/api/v1/schools/greenfield/invoices/{invoice.pk}/proofs/"
    body = {"amount_minor": 100, "paid_on": str(yesterday(school))}
    foreign = api.post(url, {**body, "file_key": f"proofs/{other_school.pk}/uploads/x/slip.pdf"}, format="json")
    assert foreign.status_code == 400 and foreign.json()["error"]["fields"]["file_key"]
    key = default_storage.save(f"proofs/{school.pk}/uploads/abc/evil.pdf", SimpleUploadedFile("e", b"<html>"))
    evil = api.post(url, {**body, "file_key": key}, format="json")
    assert evil.status_code == 400 and evil.json()["error"]["code"] == "unsupported_type"


def test_api_other_school_proofs_are_404(school, other_school, bursar, charlie, api, invoice):
    proof = submit(invoice, bursar)
    api.force_authenticate(charlie)
    for url in (f"proofs/{proof.pk}/", f"proofs/{proof.pk}/file-url/"):
        assert api.get(f"/api/v1/schools/riverside/{url}").status_code == 404
    review = api.post(f"/api/v1/schools/riverside/proofs/{proof.pk}/review/", {"decision": "approve"}, format="json")
    assert review.status_code == 404
    assert api.get(f"/api/v1/schools/riverside/invoices/{invoice.pk}/proofs/").status_code == 404


def test_invoice_page_lists_the_messages_asked_for_about_it(school, bursar, verified_client, invoice):
    proof = submit(invoice, bursar)
    proofs.proof_review(proof_id=proof.pk, school=school, actor=bursar, approve=False, reason="Unreadable slip")
    page = verified_client(bursar).get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    # the message and its reason in words (the codes PAYMENT_PROOF_REJECTED, payment_proof.rejected are not shown)
    assert page.count("Transfer proof rejected") == 2 and "PAYMENT_PROOF_REJECTED" not in page
