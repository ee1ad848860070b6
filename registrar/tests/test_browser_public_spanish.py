"""Issue 15's "Done when" for languages, in a real headless Chromium: a family opens the public form,
switches it to Español, applies; the confirmation page is in Spanish, and the confirmation SMS that
staff find in the message log is written in Spanish."""

import datetime
import re

import pytest

from classpoint.browser_testing import BROWSER_MARKS, new_page, shot, sign_in_with_totp
from classpoint.outbox import worker
from messaging import pipeline
from messaging.models import Message
from registrar.models import Application

from .factories import PDF

pytestmark = BROWSER_MARKS


@pytest.fixture
def school_morning(school, monkeypatch):
    """Messages go at once, whatever the time the suite runs (quiet hours read this clock)."""
    morning = datetime.datetime.combine(school.local_today(), datetime.time(10), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: morning)


def test_a_family_applies_in_spanish_and_is_confirmed_in_spanish(live_server, school, alice, chromium, school_morning):
    base = live_server.url

    # 1. The family opens the form (English, the school's language) and switches it to Español.
    family = new_page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
    family.goto(f"{base}/s/greenfield/apply/")
    family.get_by_role("heading", name="Apply for admission").wait_for()
    switcher = family.get_by_role("navigation", name="Language")
    switcher.get_by_role("link", name="Español").click()
    family.get_by_role("heading", name="Solicitar la admisión").wait_for()
    assert family.locator("html").get_attribute("lang") == "es"
    assert (
        family.get_by_role("navigation", name="Idioma")
        .get_by_role("link", name="Español")
        .get_attribute("aria-current")
        == "true"
    )
    shot(family, "public-form-es")

    # 2. A first try forgets the child's sex: the error is in Spanish, beside the field.
    family.locator("#id_first_name").fill("Lucía")
    family.locator("#id_last_name").fill("Okafor")
    family.get_by_label("Fecha de nacimiento").fill("2014-05-02")
    family.get_by_label("Curso solicitado").select_option("JSS 1")
    family.locator("#id_g1_first_name").fill("Carmen")
    family.locator("#id_g1_last_name").fill("Okafor")
    family.locator("#id_g1_phone").fill("0803 111 2233")
    family.get_by_label("Mensajes de texto (SMS)").first.check()
    family.get_by_role("button", name="Enviar la solicitud").click()
    family.get_by_role("heading", name="Revise una cosa").wait_for()
    assert "Elija el sexo del niño o la niña." in family.locator("#id_gender").inner_text()

    # 3. They fix it, attach the birth certificate and send the application.
    family.get_by_label("Fecha de nacimiento").fill("2014-05-02")
    family.get_by_label("Femenino").check()
    family.get_by_label("Curso solicitado").select_option("JSS 1")
    family.get_by_label("Mensajes de texto (SMS)").first.check()
    family.get_by_label("Certificado de nacimiento").set_input_files(
        {"name": "certificado.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    family.get_by_role("button", name="Enviar la solicitud").click()
    family.get_by_role("heading", name="Gracias: hemos recibido la solicitud").wait_for()
    reference = family.locator("main strong.tile-figure").inner_text().strip()
    assert "La solicitud de Lucía tiene la referencia" in family.locator("main").inner_text()
    shot(family, "public-form-es-received")
    application = Application.objects.get(school=school, reference=reference)
    assert application.language == "es" and application.documents.get().kind == "birth_certificate"

    # 4. Messaging sends the confirmation: in Spanish, because the family applied in Spanish.
    worker.drain()
    message = Message.objects.get(school=school, template_type="APPLICATION_RECEIVED")
    assert message.status == "delivered" and message.to_address == "+2348031112233"

    # 5. Staff see it in the message log, as the phone got it (SMS keeps to GSM-7: Lucía -> Lucia).
    staff = new_page(chromium)
    sign_in_with_totp(staff, base, alice)
    staff.goto(f"{base}/s/greenfield/messages/")
    row = staff.locator("#log-table tbody tr", has_text="Application received")
    row.first.wait_for()
    assert "Delivered" in row.first.inner_text()
    row.get_by_role("link").first.click()
    staff.wait_for_url(re.compile(r"/messages/\d+/$"))
    detail = staff.locator("main").inner_text()
    assert (
        f"Greenfield Academy: hemos recibido la solicitud de Lucia Okafor (JSS 1), ref. {reference}. "
        "Nos pondremos en contacto con usted." in detail
    )
    # the staff pages themselves stay in English
    assert staff.locator("html").get_attribute("lang") == "en"
