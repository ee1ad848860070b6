"""Transfer proofs and receipt PDFs on S3, against a real moto server (boto3 over HTTP)."""

import datetime

import pytest
import requests
from django.core.files.storage import default_storage

from classpoint.outbox import worker
from payments.models import Receipt
from schools.tests.test_imports_s3 import s3  # noqa: F401  (fixture)

from .test_payments import invoice  # noqa: F401  (fixture)
from .test_proofs import PDF

pytestmark = pytest.mark.django_db


def test_slip_uploaded_by_presigned_post_is_reviewed_and_the_receipt_pdf_lands_in_s3(
    s3,
    school,
    bursar,
    api,
    invoice,
):
    api.force_authenticate(bursar)
    base = "/api/v1/schools/greenfield"
    target = api.post(f"{base}/proofs/upload-url/", {"file_name": "slip.pdf"}).json()
    assert target["url"].startswith(s3) and "policy" in {k.lower() for k in target["fields"]}
    uploaded = requests.post(target["url"], data=target["fields"], files={"file": ("slip.pdf", PDF)}, timeout=10)
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    paid_on = str(school.local_today() - datetime.timedelta(days=1))
    proof = api.post(
        f"{base}/invoices/{invoice.pk}/proofs/",
        {"file_key": target["file_key"], "amount_minor": 3_000_000, "paid_on": paid_on},
        format="json",
    ).json()
    assert proof["content_type"] == "application/pdf" and proof["size_bytes"] == len(PDF)
    slip = requests.get(api.get(f"{base}/proofs/{proof['id']}/file-url/").json()["url"], timeout=10)
    assert slip.status_code == 200 and slip.content == PDF
    api.post(f"{base}/proofs/{proof['id']}/review/", {"decision": "approve"}, format="json")
    worker.drain()
    receipt = Receipt.objects.get()
    assert receipt.pdf_key and default_storage.exists(receipt.pdf_key)
    link = api.get(f"{base}/receipts/{receipt.pk}/download-url/").json()["url"]
    assert "Signature=" in link or "X-Amz-Signature=" in link
    pdf = requests.get(link, timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
