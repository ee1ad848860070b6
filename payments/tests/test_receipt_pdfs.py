import datetime
import io
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from payments import services
from payments.models import Receipt

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def text_of(data):
    assert data[:5] == b"%PDF-"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def stored_text(receipt):
    with default_storage.open(receipt.pdf_key, "rb") as handle:
        return text_of(handle.read())


def pay(invoice, actor, amount_minor=4_000_000, kind="cash"):
    tx = services.transaction_record(invoice=invoice, kind=kind, amount_minor=amount_minor, currency="NGN", actor=actor)
    worker.drain()
    return Receipt.objects.get(transaction=tx)


def files_under(root):
    return sorted(p for p in root.rglob("*.pdf"))


def follow(client, url):
    """Fetch one of our signed file links (an absolute URL on SITE_URL) with the test client."""
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.status_code == 200 else response.content
    return response, body


def test_confirmed_payment_stores_a_receipt_pdf_with_its_facts(school, bursar, invoice, media):
    # given a school with an address on its profile
    school.profile.address = "12 Unity Road, Ikeja"
    school.profile.save()
    # when a cash payment of ₦40,000 is confirmed and the outbox drained
    receipt = pay(invoice, bursar)
    # then its PDF is stored under the school's prefix and says what was paid, by whom, for what
    assert receipt.pdf_key.startswith(f"receipts/{school.pk}/") and receipt.pdf_key.endswith(f"{receipt.number}.pdf")
    assert files_under(media) == [media / receipt.pdf_key]
    text = stored_text(receipt)
    for expected in (
        receipt.number,
        "GFAPupil",
        "GFA/0001",
        invoice.number,
        "40,000.00",
        "Cash",
        "Greenfield Academy",
        "12 Unity Road, Ikeja",
    ):
        assert expected in text, expected
    assert "Balance after this payment" in text and "60,000.00" in text
    assert "VOID" not in text


def test_receipt_shows_the_balance_right_after_its_own_payment(school, bursar, invoice):
    first = pay(invoice, bursar, 3_000_000)
    second = pay(invoice, bursar, 2_000_000)
    # the first receipt, rendered again after the second payment, still shows its own moment
    services.receipt_render_pdf(receipt_id=first.pk, force=True)
    first.refresh_from_db()
    first_text = stored_text(first)
    assert "70,000.00" in first_text and "50,000.00" not in first_text
    assert "50,000.00" in stored_text(second)


def test_redelivered_payment_confirmed_keeps_one_file_and_one_message(school, bursar, invoice, media):
    receipt = pay(invoice, bursar)
    event = OutboxEvent.objects.get(event_type="payment.confirmed")
    # when the same event is handled again (at-least-once delivery)
    assert worker.process_batch([event]) == (1, 0)
    # then nothing new is stored or asked for
    receipt_again = Receipt.objects.get(pk=receipt.pk)
    assert receipt_again.pdf_key == receipt.pdf_key
    assert files_under(media) == [media / receipt.pdf_key]
    requests = OutboxEvent.objects.filter(event_type="messaging.requested", payload__template="PAYMENT_RECEIPT")
    assert requests.count() == 1
    request = requests.get()
    guardian_ids = list(invoice.student.guardian_links.values_list("guardian_id", flat=True))
    assert request.dedupe_key == f"msg:receipt:{receipt.pk}"
    assert request.payload["template"] == "PAYMENT_RECEIPT" and request.payload["guardian_ids"] == guardian_ids
    context = request.payload["context"]
    assert context["receipt_number"] == receipt.number and context["invoice_number"] == invoice.number
    assert (context["amount"], context["balance"]) == ({"money": [4_000_000, "NGN"]}, {"money": [6_000_000, "NGN"]})
    assert context["student_name"] == invoice.student.full_name and context["school_name"] == "Greenfield Academy"
    paid_at = timezone.localtime(receipt.transaction.confirmed_at, school.tzinfo)
    assert context["paid_at"] == {"datetime": paid_at.isoformat(timespec="minutes")}


def test_no_message_is_requested_for_a_student_without_guardians(school, bursar, invoice):
    invoice.student.guardian_links.all().delete()
    receipt = pay(invoice, bursar)
    assert receipt.pdf_key
    assert not OutboxEvent.objects.filter(
        event_type="messaging.requested", payload__template="PAYMENT_RECEIPT"
    ).exists()


def test_reversed_payment_renders_its_receipt_again_stamped_void(
    school,
    bursar,
    invoice,
    media,
    django_capture_on_commit_callbacks,
):
    receipt = pay(invoice, bursar)
    before = receipt.pdf_key
    # when the bursar reverses the payment and the outbox is drained
    services.transaction_reverse(transaction_id=receipt.transaction_id, school=school, actor=bursar, reason="bounced")
    with django_capture_on_commit_callbacks(execute=True):
        worker.drain()
    # then the stored PDF is a new one that says VOID, and the old one is gone
    receipt.refresh_from_db()
    assert receipt.is_void and receipt.pdf_key != before and receipt.pdf_key.endswith(f"{receipt.number}-void.pdf")
    text = stored_text(receipt)
    assert "VOID" in text and receipt.number in text and "reversed" in text
    assert files_under(media) == [media / receipt.pdf_key]
    # and a redelivered reversal leaves the void copy alone
    event = OutboxEvent.objects.get(event_type="payment.reversed")
    worker.process_batch([event])
    assert Receipt.objects.get(pk=receipt.pk).pdf_key == receipt.pdf_key


def test_staff_link_redirects_to_a_working_link_that_expires(school, bursar, invoice, verified_client, settings):
    receipt = pay(invoice, bursar)
    client = verified_client(bursar)
    response = client.get(f"/s/greenfield/payments/receipts/{receipt.pk}/pdf/")
    assert response.status_code == 302 and "/files/" in response["Location"]
    link = response["Location"]
    served, body = follow(client, link)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert f'filename="{receipt.number}.pdf"' in served["Content-Disposition"]
    assert receipt.number in text_of(body)
    # the same link, once its time is up, is a 404
    later = timezone.now() + datetime.timedelta(seconds=settings.FILE_LINK_EXPIRY_SECONDS + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        expired, _ = follow(client, link)
    assert expired.status_code == 404


def test_staff_link_renders_a_missing_pdf_first(school, bursar, invoice, verified_client):
    receipt = pay(invoice, bursar)
    Receipt.objects.filter(pk=receipt.pk).update(pdf_key="")
    response = verified_client(bursar).get(f"/s/greenfield/payments/receipts/{receipt.pk}/pdf/")
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.pdf_key and default_storage.exists(receipt.pdf_key)


def test_invoice_page_links_the_pdf_and_each_receipt(school, bursar, invoice, verified_client):
    receipt = pay(invoice, bursar)
    page = verified_client(bursar).get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert f"/s/greenfield/fees/invoices/{invoice.pk}/pdf/" in page
    assert f'href="/s/greenfield/payments/receipts/{receipt.pk}/pdf/"' in page


def test_download_url_api_gives_an_expiring_link_and_renders_when_missing(school, bursar, invoice, api):
    receipt = pay(invoice, bursar)
    Receipt.objects.filter(pk=receipt.pk).update(pdf_key="")
    api.force_authenticate(bursar)
    base = "/api/v1/schools/greenfield/receipts"
    assert api.get(f"{base}/").json()["results"][0]["pdf_ready"] is False
    response = api.get(f"{base}/{receipt.pk}/download-url/")
    assert response.status_code == 200
    data = response.json()
    assert "/files/" in data["url"] and datetime.datetime.fromisoformat(data["expires_at"]) > timezone.now()
    assert api.get(f"{base}/").json()["results"][0]["pdf_ready"] is True
    served, body = follow(api, data["url"])
    assert served.status_code == 200 and receipt.number in text_of(body)


def test_other_schools_receipt_is_404_in_workspace_and_api(
    school,
    other_school,
    bursar,
    charlie,
    invoice,
    verified_client,
    api,
):
    receipt = pay(invoice, bursar)
    client = verified_client(charlie)
    assert client.get(f"/s/riverside/payments/receipts/{receipt.pk}/pdf/").status_code == 404
    assert client.get(f"/s/greenfield/payments/receipts/{receipt.pk}/pdf/").status_code == 404
    api.force_authenticate(charlie)
    assert api.get(f"/api/v1/schools/riverside/receipts/{receipt.pk}/download-url/").status_code == 404
    assert api.get(f"/api/v1/schools/greenfield/receipts/{receipt.pk}/download-url/").status_code == 404


def test_teacher_cannot_fetch_a_receipt_pdf(school, bursar, teacher, invoice, verified_client, api):
    receipt = pay(invoice, bursar)
    assert verified_client(teacher).get(f"/s/greenfield/payments/receipts/{receipt.pk}/pdf/").status_code == 403
    api.force_authenticate(teacher)
    assert api.get(f"/api/v1/schools/greenfield/receipts/{receipt.pk}/download-url/").status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_downloads_store_one_file(school, bursar, invoice, media):
    from classpoint.testing import run_concurrently

    receipt = pay(invoice, bursar)
    Receipt.objects.filter(pk=receipt.pk).update(pdf_key="")
    for path in files_under(media):
        path.unlink()
    errors = run_concurrently(lambda _: services.receipt_render_pdf(receipt_id=receipt.pk), list(range(4)))
    assert not errors
    receipt.refresh_from_db()
    assert files_under(media) == [media / receipt.pdf_key]


def test_receipt_pdf_takes_the_same_queries_however_many_payments(school, bursar, invoice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_render(receipt):
        with CaptureQueriesContext(connection) as captured:
            services.receipt_render_pdf(receipt_id=receipt.pk, force=True)
        return len(captured)

    first = queries_to_render(pay(invoice, bursar, 1_000_000))
    for _ in range(3):
        pay(invoice, bursar, 1_000_000)
    assert queries_to_render(pay(invoice, bursar, 1_000_000)) == first


def test_a_spanish_guardians_receipt_writes_the_amounts_and_the_moment_in_spanish_in_school_time(
    school, bursar, invoice, monkeypatch, django_capture_on_commit_callbacks
):
    from messaging import pipeline
    from messaging.models import Message

    # given the guardian reads Spanish on WhatsApp, at noon
    noon = datetime.datetime.combine(school.local_today(), datetime.time(12), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: noon)
    guardian = invoice.student.guardian_links.get().guardian
    guardian.__class__.objects.filter(pk=guardian.pk).update(
        preferred_language="es", preferred_channel="whatsapp", consent_whatsapp=True
    )
    # when ₦40,000.00 is paid
    with django_capture_on_commit_callbacks(execute=True):
        receipt = pay(invoice, bursar)
        worker.drain()
    # then the receipt message reads as Spanish writes it, at the school's local time (Lagos, not UTC)
    body = Message.objects.get(school=school, template_type="PAYMENT_RECEIPT").body
    assert "Hemos recibido *₦40.000,00*" in body and "Saldo pendiente: ₦60.000,00" in body
    at = timezone.localtime(receipt.transaction.confirmed_at, school.tzinfo)
    month = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()[
        at.month - 1
    ]
    assert f"el {at.day} de {month} de {at.year} a las {at:%H:%M}." in body and receipt.number in body
