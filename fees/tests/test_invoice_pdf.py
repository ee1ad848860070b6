import datetime
import io

import pytest
from pypdf import PdfReader

from classpoint.outbox import worker
from fees.documents import render_invoice_pdf
from fees.models import Invoice
from payments import services as payments
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def text_of(data):
    assert data[:5] == b"%PDF-"
    # Words only: table cells wrap where the layout decides.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def pdf_url(invoice, slug="greenfield"):
    return f"/s/{slug}/fees/invoices/{invoice.pk}/pdf/"


def test_invoice_pdf_lists_lines_payments_and_what_is_left(school, bursar, verified_client, invoice):
    # given a ₦100,000 invoice with a ₦40,000 cash payment
    tx = payments.transaction_record(invoice=invoice, kind="cash", amount_minor=4_000_000, currency="NGN", actor=bursar)
    worker.drain()
    # when the bursar opens its PDF
    response = verified_client(bursar).get(pdf_url(invoice))
    # then it is served inline under the invoice's number and shows the lines, the payment and the balance
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    text = text_of(response.content)
    for expected in (
        invoice.number,
        "GFAPupil",
        "GFA/0001",
        "Tuition",
        "100,000.00",
        "40,000.00",
        "60,000.00",
        tx.receipt.number,
        "Cash",
        "Partly paid",
        "Greenfield Academy",
    ):
        assert expected in text, expected
    assert not any(stamp in text for stamp in ("DRAFT", "VOID", "PAID"))


def test_pdf_follows_the_invoice_as_it_is_paid(school, bursar, verified_client, invoice):
    client = verified_client(bursar)
    assert "No payments received yet" in text_of(client.get(pdf_url(invoice)).content)
    payments.transaction_record(invoice=invoice, kind="pos", amount_minor=10_000_000, currency="NGN", actor=bursar)
    worker.drain()
    text = text_of(client.get(pdf_url(invoice)).content)
    assert "PAID" in text and "Paid in full" in text


@pytest.mark.parametrize(("status", "stamp"), [("draft", "DRAFT"), ("void", "VOID"), ("paid", "PAID")])
def test_invoice_pdf_is_stamped_with_its_state(school, invoice, status, stamp):
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    text = text_of(render_invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert stamp in text
    assert not {"DRAFT", "VOID", "PAID"} - {stamp} & set(text.split())


def test_reversed_payment_shows_as_reversed_with_its_receipt_void(school, bursar, invoice):
    tx = payments.transaction_record(invoice=invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar)
    worker.drain()
    payments.transaction_reverse(transaction_id=tx.pk, school=school, actor=bursar, reason="bounced")
    worker.drain()
    text = text_of(render_invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert "reversed" in text and f"{tx.receipt.number} (void)" in text


def test_instalments_are_listed_when_the_invoice_has_a_plan(school, bursar, invoice):
    from fees.instalments import instalment_plan_set

    instalment_plan_set(
        invoice=invoice,
        actor=bursar,
        instalments=[
            {"due_date": datetime.date(2026, 10, 1), "amount_minor": 6_000_000},
            {"due_date": datetime.date(2026, 12, 1), "amount_minor": 4_000_000},
        ],
    )
    text = text_of(render_invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert "Instalments" in text and "1 Oct 2026" in text and "1 Dec 2026" in text and "60,000.00" in text


def test_invoice_without_a_plan_has_no_instalments_section(school, invoice):
    assert "Instalments" not in text_of(render_invoice_pdf(invoice))


@pytest.mark.parametrize("accept", ["application/pdf", "*/*", "application/json"])
def test_api_serves_the_pdf_whatever_the_client_accepts(school, bursar, api, invoice, accept):
    api.force_authenticate(bursar)
    response = api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/pdf/", HTTP_ACCEPT=accept)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert invoice.number in text_of(response.content)


def test_api_pdf_errors_are_json_even_when_a_pdf_is_asked_for(school, other_school, charlie, api, invoice):
    api.force_authenticate(charlie)
    response = api.get(f"/api/v1/schools/riverside/invoices/{invoice.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_other_schools_invoice_pdf_is_404(school, other_school, charlie, verified_client, api, invoice):
    client = verified_client(charlie)
    assert client.get(pdf_url(invoice, "riverside")).status_code == 404
    assert client.get(pdf_url(invoice)).status_code == 404
    api.force_authenticate(charlie)
    assert api.get(f"/api/v1/schools/riverside/invoices/{invoice.pk}/pdf/").status_code == 404
    assert api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/pdf/").status_code == 404


def test_teacher_cannot_fetch_an_invoice_pdf(school, teacher, verified_client, api, invoice):
    assert verified_client(teacher).get(pdf_url(invoice)).status_code == 403
    api.force_authenticate(teacher)
    assert api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/pdf/").status_code == 403


def test_schema_documents_the_invoice_pdf_as_binary(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    path = next(p for p in schema["paths"] if p.endswith("/invoices/{pk}/pdf/") or p.endswith("/invoices/{id}/pdf/"))
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]
    assert content == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    receipt_link = next(p for p in schema["paths"] if p.endswith("/download-url/") and "receipts" in p)
    assert "200" in schema["paths"][receipt_link]["get"]["responses"]


def test_money_falls_back_to_the_currency_code_when_the_font_lacks_the_symbol(monkeypatch):
    from classpoint import pdf
    from fees.documents import document_money

    monkeypatch.setattr(pdf, "supports", lambda text: "₦" not in text)
    assert document_money(4_000_050, "NGN") == "NGN 40,000.50"
    assert document_money(-100, "USD") == "-$1.00"


def test_invoice_pdf_takes_the_same_queries_however_many_payments(school, bursar, verified_client, invoice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(bursar)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(pdf_url(invoice)).status_code == 200
        return len(captured)

    payments.transaction_record(invoice=invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar)
    worker.drain()
    one = queries()
    for _ in range(3):
        payments.transaction_record(invoice=invoice, kind="cash", amount_minor=1_000_000, currency="NGN", actor=bursar)
    worker.drain()
    assert queries() == one
