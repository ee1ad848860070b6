"""A NUL byte is never part of text people type, and PostgreSQL refuses to store one: a form field
or query parameter carrying it is refused at the edge (400), before any view saves it."""

import pytest

from payments.tests.test_payments import invoice  # noqa: F401  (fixture)
from schools.services.schools import api_token_create

pytestmark = pytest.mark.django_db


def test_a_nul_byte_in_a_hand_read_form_field_is_a_400_and_changes_nothing(school, bursar, verified_client, invoice):
    # given an issued invoice and a bursar on its page
    client = verified_client(bursar)
    # when the void form is sent with a reason holding a NUL byte
    response = client.post(f"/s/greenfield/fees/invoices/{invoice.pk}/void/", {"reason": "typo\x00"})
    # then it is refused as bad input and the invoice is untouched
    assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.void_reason == ""


def test_a_nul_byte_in_a_query_parameter_is_a_400(school, bursar, verified_client):
    client = verified_client(bursar)
    assert client.get("/s/greenfield/fees/invoices/", {"q": "a\x00b"}).status_code == 400
    assert client.get("/s/greenfield/fees/invoices/", {"q": "ab"}).status_code == 200


def test_binary_file_uploads_are_not_mistaken_for_text(school, bursar, verified_client, invoice):
    # a PNG holds NUL bytes; only the text fields of a form are checked
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = verified_client(bursar)
    png = SimpleUploadedFile("slip.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "image/png")
    response = client.post(
        f"/s/greenfield/payments/invoices/{invoice.pk}/proof/",
        {"file": png, "amount": "100.00", "paid_on": "2026-12-01"},
    )
    assert response.status_code != 400


def test_a_malformed_multipart_body_to_the_api_gets_the_api_error_shape(school, alice):
    # The NUL check reads no API body (serializers refuse NUL themselves), so a broken upload is
    # answered by the API's own parser, in JSON, not by an HTML error page.
    from rest_framework.test import APIClient

    api = APIClient()
    key = api_token_create(school=school, name="ERP", role_key="school_admin").key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.generic("POST", "/api/v1/schools/greenfield/class-groups/", "x", content_type="multipart/form-data")
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()


def test_a_malformed_multipart_body_to_a_page_is_a_400_not_a_500(school, bursar, verified_client):
    client = verified_client(bursar)
    response = client.generic("POST", "/s/greenfield/fees/invoices/", "x", content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_nul_byte_in_any_api_query_parameter_is_a_documented_400(school, alice):
    # found by the fuzzer: an undeclared parameter with a NUL on a list that declares only paging
    from rest_framework.test import APIClient

    api = APIClient()
    key = api_token_create(school=school, name="ERP", role_key="school_admin").key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/v1/schools/greenfield/receipts/", {"anything": "a\x00b"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["anything"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/payments/webhook/demo/", "/messaging/callbacks/ses/sns/"])
def test_a_form_posted_to_a_signed_webhook_is_refused_not_a_500(client, url):
    """A webhook reads and verifies its raw body; the NUL check parsing a multipart form first used
    that body up, and a scanner's form post to a webhook was a 500."""
    response = client.post(url, {"field": "value"})
    assert response.status_code in (400, 401, 403), response.status_code
