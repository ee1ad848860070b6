"""The guardian's pay page and the demo checkout in the guardian's language: theirs, else the
school's, unless they pick another; the proof form's labels and the refusals they read included."""

import datetime
import re

import pytest

from fees.models import Invoice
from payments import proofs, services
from payments.models import PaymentProof
from schools.models import SchoolProfile

from .test_payments import invoice  # noqa: F401  (fixture)
from .test_proofs import PDF, slip, yesterday

pytestmark = pytest.mark.django_db


def _pay_path(invoice):
    guardian = invoice.student.guardian_links.get().guardian
    return guardian, re.sub(r"^https?://[^/]+", "", proofs.guardian_link(invoice=invoice, guardian=guardian))


def test_the_pay_page_is_in_the_guardians_language(client, school, invoice):
    guardian, path = _pay_path(invoice)
    guardian.preferred_language = "es"
    guardian.save()
    Invoice.objects.filter(pk=invoice.pk).update(due_date=datetime.date(2026, 12, 31))
    response = client.get(path)
    body = response.content.decode()
    assert response.status_code == 200 and '<html lang="es">' in body
    assert f"Factura {invoice.number}" in body and "Pagar en línea" in body and "Emitida" in body
    assert '<label for="id_amount">Importe transferido</label>' in body
    assert "Saldo" in body and "Pay online" not in body
    assert "<dd>31 de diciembre de 2026</dd>" in body  # the due date as Spanish writes it


def test_the_pay_page_follows_the_school_and_the_reader_picks_over_both(client, school, other_school, invoice):
    _guardian, path = _pay_path(invoice)
    assert "Pay online" in client.get(path).content.decode()
    SchoolProfile.objects.filter(school=school).update(default_language="es")
    assert "Pagar en línea" in client.get(path).content.decode()
    assert "Pay online" in client.get(path + "?lang=en").content.decode()
    assert "Pay online" in client.get(path).content.decode()  # remembered
    # a language the pay page is not translated into is not offered
    assert "Pay online" in client.get(path + "?lang=yo").content.decode()
    assert ">Yorùbá</a>" not in client.get(path).content.decode()


def test_a_refused_proof_is_explained_in_spanish(client, school, invoice):
    guardian, path = _pay_path(invoice)
    guardian.preferred_language = "es"
    guardian.save()
    data = {"action": "proof", "file": slip(b"GIF89a...."), "amount": "40000", "paid_on": yesterday(school).isoformat()}
    response = client.post(path, data)
    body = response.content.decode()
    assert response.status_code == 400 and "Suba el comprobante de transferencia en PDF, JPEG o PNG." in body
    future = {"action": "proof", "file": slip(PDF, "slip.pdf"), "amount": "abc", "paid_on": "2020-13-45"}
    body = client.post(path, future).content.decode()
    assert "Introduzca un número." in body  # Django's own Spanish for a number field
    assert not PaymentProof.objects.exists()
    # and a proof that goes through is thanked in Spanish
    sent = client.post(path, {"action": "proof", "file": slip(), "amount": "40000", "paid_on": yesterday(school)})
    assert sent.status_code == 302
    page = client.get(path).content.decode()
    assert "hemos recibido su comprobante" in page and "pendiente de revisión" in page


def test_the_demo_checkout_speaks_the_pay_pages_language(client, school, invoice, bursar):
    intent = services.intent_create(invoice=invoice, actor=bursar, gateway_name="demo", email="p@x.ng")
    path = f"/payments/demo/checkout/{intent.reference}/"
    assert "Demo gateway" in client.get(path).content.decode()
    _guardian, pay = _pay_path(invoice)
    client.get(pay + "?lang=es")  # the guardian picked Spanish on the pay page
    body = client.get(path).content.decode()
    assert "Pasarela de demostración" in body and f"factura {invoice.number}" in body
