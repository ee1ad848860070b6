"""What the settings change outside the page: the letterhead of every PDF (logo, address, phone,
email from storage), the public application form (logo and introduction) and how money is printed
(symbol or code) on pages, documents and messages."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from classpoint.models import OutboxEvent
from classpoint.outbox import emit, worker
from messaging.models import Message
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)
from schools.documents import school_letterhead
from schools.models import SchoolProfile

pytestmark = pytest.mark.django_db

SETTINGS = "/s/greenfield/settings/"


def png(size=(240, 120), colour="darkgreen"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("crest.png", buffer.getvalue(), content_type="image/png")


def pdf_of(response):
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return reader, text


@pytest.fixture
def admin(school, alice, verified_client):
    return verified_client(alice)


def test_the_next_invoice_pdf_has_the_logo_and_the_contact_details_set_here(school, admin, invoice):  # noqa: F811
    # given an invoice printed before the school set its logo and contacts
    pdf_url = f"/s/greenfield/fees/invoices/{invoice.pk}/pdf/"
    reader, _ = pdf_of(admin.get(pdf_url))
    assert not list(reader.pages[0].images)
    # when the admin sets them on the settings page
    assert admin.post(f"{SETTINGS}logo/", {"logo": png()}).status_code == 302
    contact = {"address": "12 Palm Avenue\nIkeja, Lagos", "phone": "08031234567", "email": "office@greenfield.ng"}
    assert admin.post(f"{SETTINGS}contact/", {**contact, "website": ""}).status_code == 302
    # then the next PDF carries the logo (the stored image, read from storage) and the contacts
    reader, text = pdf_of(admin.get(pdf_url))
    [image] = reader.pages[0].images
    assert Image.open(io.BytesIO(image.data)).size == (240, 120)
    for expected in (
        "Greenfield Academy",
        "12 Palm Avenue",
        "Ikeja, Lagos",
        "+234 803 123 4567",
        "office@greenfield.ng",
    ):
        assert expected in text, expected


def test_a_letterhead_whose_logo_file_is_gone_still_prints_the_name(school, admin):
    admin.post(f"{SETTINGS}logo/", {"logo": png()})
    profile = SchoolProfile.objects.get(school=school)
    profile.logo.storage.delete(profile.logo.name)
    school.refresh_from_db()
    letterhead = school_letterhead(school)
    assert letterhead.name == "Greenfield Academy" and letterhead.logo is None


def test_the_public_form_shows_the_logo_and_the_introduction_as_plain_text(school, other_school, admin, client):
    admin.post(f"{SETTINGS}logo/", {"logo": png()})
    admin.post(f"{SETTINGS}public-form/", {"public_form_intro": "Bring a birth certificate.\n\n<b>Fees</b> follow."})
    body = client.get("/s/greenfield/apply/").content.decode()
    assert 'class="school-logo" src="data:image/png;base64,' in body
    assert "<p>Bring a birth certificate.</p>" in body and "&lt;b&gt;Fees&lt;/b&gt; follow." in body
    # Another school's form shows neither.
    other = client.get("/s/riverside/apply/").content.decode()
    assert "school-logo" not in other and "Bring a birth certificate" not in other


def test_currency_display_code_prints_codes_on_pages_pdfs_and_messages(school, other_school, admin, invoice):  # noqa: F811
    worker.drain()
    assert (
        admin.post(
            f"{SETTINGS}regional/", {"timezone": "Africa/Lagos", "currency_display": "code", "default_language": "en"}
        ).status_code
        == 302
    )
    page = admin.get(f"/s/greenfield/fees/invoices/{invoice.pk}/").content.decode()
    assert "NGN 100,000.00" in page and "₦100,000.00" not in page
    _, text = pdf_of(admin.get(f"/s/greenfield/fees/invoices/{invoice.pk}/pdf/"))
    assert "NGN 100,000.00" in text
    # A message asked for by a handler (the school's scope, by id) prints the code too.
    emit(school=school, event_type="invoice.overdue", payload={"invoice_id": invoice.pk, "days_overdue": 3})
    worker.drain()
    asked = OutboxEvent.objects.filter(school=school, event_type="messaging.requested").latest("id")
    # The request carries the amount typed; messaging formats it as the school displays money.
    (message,) = Message.objects.filter(school=school, request_event_id=asked.pk)
    assert "NGN 100,000.00" in message.body and "₦" not in message.body
