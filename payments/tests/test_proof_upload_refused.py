"""A proof refused for its file (not a PDF/JPEG/PNG by its bytes) keeps nothing in storage."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from payments import proofs
from payments.models import PaymentProof

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_refused_api_proof_upload_leaves_no_file_behind(school, bursar, api, invoice):
    # given an HTML page uploaded to the school's proof upload area
    key = default_storage.save(f"{proofs.upload_prefix(school)}/abc/slip.pdf", ContentFile(b"<html>not a slip</html>"))
    api.force_authenticate(bursar)
    # when it is submitted as a proof
    response = api.post(
        f"/api/v1/schools/greenfield/invoices/{invoice.pk}/proofs/",
        {"file_key": key, "amount_minor": 100_000, "paid_on": "2026-11-02"},
    )
    # then it is refused, nothing is recorded and the upload is gone
    assert response.status_code == 400 and "file_key" in response.json()["error"]["fields"]
    assert not PaymentProof.objects.for_school(school).exists()
    assert not default_storage.exists(key)
