"""The guardian's secure invoice page offers each receipt as a download, through a link that
works without an account, only for that invoice's receipts, and only while the link is valid."""

import pytest
from django.core import signing

from classpoint.outbox import worker
from fees import services as fees
from payments import services
from payments.models import Receipt
from payments.proofs import guardian_link
from schools.models import Guardian

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _paid(invoice, actor, amount=4_000_000):
    tx = services.transaction_record(invoice=invoice, kind="cash", amount_minor=amount, currency="NGN", actor=actor)
    worker.drain()
    return Receipt.objects.get(transaction=tx)


def _path(link):
    return "/" + link.split("/", 3)[3] if "://" in link else link


def test_guardian_page_links_the_receipt_and_the_link_downloads_its_pdf(client, school, bursar, invoice):
    # given a paid invoice with its receipt
    receipt = _paid(invoice, bursar)
    guardian = Guardian.objects.get(student_links__student=invoice.student)
    page_path = _path(guardian_link(invoice=invoice, guardian=guardian))
    # when the guardian opens their page (no account) and follows the receipt's link
    page = client.get(page_path).content.decode()
    receipt_path = f"{page_path}receipts/{receipt.pk}/"
    assert f'href="{receipt_path}"' in page and receipt.number in page
    download = client.get(receipt_path, follow=True)
    # then the PDF comes back as a download
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert receipt.number in download["Content-Disposition"]


def test_receipt_of_another_invoice_is_404_through_this_link(client, school, bursar, invoice):
    # given a second invoice of another pupil of the same school, paid, with its own receipt
    from schools.tests import factories as f

    other_student = f.StudentFactory(school=school, admission_number="GFA/0002")
    f.enroll(other_student, invoice.term, invoice.class_group)
    other = fees.invoice_issue(
        invoice=fees.invoice_create(school=school, actor=bursar, student=other_student, term=invoice.term),
        actor=bursar,
    )
    other_receipt = _paid(other, bursar)
    _paid(invoice, bursar)
    guardian = Guardian.objects.get(student_links__student=invoice.student)
    page_path = _path(guardian_link(invoice=invoice, guardian=guardian))
    # when the guardian swaps in the other invoice's receipt id
    response = client.get(f"{page_path}receipts/{other_receipt.pk}/")
    # then
    assert response.status_code == 404


def test_tampered_or_expired_receipt_link_is_404(client, school, bursar, invoice, settings):
    receipt = _paid(invoice, bursar)
    guardian = Guardian.objects.get(student_links__student=invoice.student)
    page_path = _path(guardian_link(invoice=invoice, guardian=guardian))
    token = page_path.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"s": school.pk, "i": invoice.pk, "g": guardian.pk}, salt="another-salt", compress=True)
    assert client.get(f"/payments/pay/{forged}/receipts/{receipt.pk}/").status_code == 404
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/payments/pay/{tampered}/receipts/{receipt.pk}/").status_code == 404
    settings.GUARDIAN_LINK_MAX_AGE_DAYS = -1
    assert client.get(f"/payments/pay/{token}/receipts/{receipt.pk}/").status_code == 404
