"""The public application form and its links in the family's language: English, Spanish and Yoruba,
picked from the switcher (and remembered), else the school's default; an application sent in Spanish
keeps its language, is confirmed by an SMS in Spanish and gives the family's guardian that language."""

import datetime
import re
import zoneinfo

import pytest
from django.core.cache import cache
from django.test import override_settings

from classpoint.outbox import worker
from messaging import pipeline
from messaging.models import Message
from registrar import links, services
from registrar.models import Application
from schools.models import SchoolProfile
from schools.tests import factories as f

from . import factories as rf
from .test_public import URL, form_data

pytestmark = pytest.mark.django_db
S = Application.Status
COOKIE = "classpoint_language"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def daytime(monkeypatch):
    """Messages go at once (not held for the end of quiet hours): noon in Lagos."""
    noon = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=zoneinfo.ZoneInfo("Africa/Lagos"))
    monkeypatch.setattr(pipeline, "_now", lambda: noon)


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url)


def _html_lang(body):
    return re.search(r'<html lang="([^"]*)"', body).group(1)


def test_the_form_opens_in_english_and_in_each_language_the_switcher_offers(client, school):
    english = client.get(URL).content.decode()
    assert _html_lang(english) == "en" and "Apply for admission" in english
    # the switcher offers the page in each language, named in that language
    assert 'href="/s/greenfield/apply/?lang=es" lang="es" hreflang="es"' in english
    assert ">Yorùbá</a>" in english and 'aria-current="true">English</a>' in english

    spanish = client.get(URL + "?lang=es")
    body = spanish.content.decode()
    assert _html_lang(body) == "es" and spanish["Content-Language"] == "es"
    assert "Solicitar la admisión" in body and "Apply for admission" not in body
    assert '<label for="id_date_of_birth">Fecha de nacimiento</label>' in body
    assert "<legend>Sexo</legend>" in body and ">Femenino</label>" in body

    yoruba = client.get(URL + "?lang=yo").content.decode()
    assert _html_lang(yoruba) == "yo" and "Béèrè fún gbígbà wọlé" in yoruba
    assert "Orúkọ àkọ́kọ́" in yoruba and "Fi ìbéèrè náà ránṣẹ́" in yoruba and "Apply for admission" not in yoruba


def test_the_language_picked_is_remembered_by_a_cookie(client, school, other_school):
    response = client.get(URL + "?lang=es")
    cookie = response.cookies[COOKIE]
    assert cookie.value == "es" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]
    # the next page needs no ?lang=, and neither does another school's form
    assert "Solicitar la admisión" in client.get(URL).content.decode()
    assert "Solicitar la admisión" in client.get("/s/riverside/apply/").content.decode()
    # picking English again replaces it
    assert "Apply for admission" in client.get(URL + "?lang=en").content.decode()
    assert client.cookies[COOKIE].value == "en"


def test_an_unknown_language_falls_back_and_is_not_remembered(client, school):
    response = client.get(URL + "?lang=xx")
    assert response.status_code == 200 and "Apply for admission" in response.content.decode()
    assert COOKIE not in response.cookies
    client.cookies[COOKIE] = "de"
    assert _html_lang(client.get(URL).content.decode()) == "en"
    # a regional variant is its language
    assert _html_lang(client.get(URL + "?lang=es-MX").content.decode()) == "es"


def test_the_schools_language_comes_before_the_browsers(client, school, other_school):
    SchoolProfile.objects.filter(school=school).update(default_language="es")
    SchoolProfile.objects.filter(school=other_school).update(default_language="")
    # Greenfield writes Spanish: its form opens in Spanish whatever the browser says
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="yo,en;q=0.5").content.decode()
    assert _html_lang(body) == "es"
    # Riverside names no language: the browser's first one the form offers
    body = client.get("/s/riverside/apply/", HTTP_ACCEPT_LANGUAGE="fr-FR, yo;q=0.8, en;q=0.5").content.decode()
    assert _html_lang(body) == "yo"
    # and what the family picked beats both
    assert _html_lang(client.get(URL + "?lang=en", HTTP_ACCEPT_LANGUAGE="yo").content.decode()) == "en"


def test_form_errors_and_the_services_errors_are_in_the_pages_language(client, school):
    response = client.post(URL + "?lang=es", form_data(first_name="", gender=None))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Revise 2 cosas" in body and "Escriba el nombre del niño o la niña." in body
    assert "Elija el sexo del niño o la niña." in body
    # the registrar's own checks (the phone, the age) come back in Spanish too
    response = client.post(URL + "?lang=es", form_data(g1_phone="12345", g1_email="", date_of_birth="1990-01-01"))
    body = response.content.decode()
    assert "Escriba un número de teléfono válido" in body and "Revise el año" in body
    # and a refused file
    response = client.post(URL + "?lang=es", form_data(birth_certificate=rf.upload(rf.EXE, "cert.pdf")))
    assert "Este archivo debe ser un PDF, JPEG o PNG." in response.content.decode()
    assert not Application.objects.exists()


def test_yoruba_errors_on_the_form(client, school):
    body = client.post(URL + "?lang=yo", form_data(last_name="", g1_email="not-an-email")).content.decode()
    assert "Ẹ kọ orúkọ ìdílé ọmọ náà." in body and "Ẹ kọ àdírẹ́sì í-meèlì tó tọ́" in body
    assert "Ẹ ṣàyẹ̀wò nǹkan 2" in body


@override_settings(APPLICATION_RATE_LIMIT=0)
def test_the_rate_limit_says_so_in_spanish(client, school):
    response = client.post(URL + "?lang=es", form_data())
    assert response.status_code == 429 and "demasiadas solicitudes" in response.content.decode()


def test_an_application_sent_in_spanish_is_confirmed_by_sms_in_spanish(
    client, school, other_school, daytime, django_capture_on_commit_callbacks
):
    # given the family picked Spanish on the form
    client.get(URL + "?lang=es")
    # when they send the application
    response = client.post(URL, form_data())
    assert response.status_code == 302
    received = client.get(response["Location"]).content.decode()
    application = Application.objects.for_school(school).get()
    # then the page thanks them in Spanish, and the application and its guardian keep the language
    assert "Gracias: hemos recibido la solicitud" in received and application.reference in received
    assert application.language == "es"
    guardian = application.guardians.get().guardian
    assert guardian.preferred_language == "es"
    # and the confirmation SMS is written in Spanish
    with django_capture_on_commit_callbacks(execute=True):
        worker.drain()
    sms = Message.objects.for_school(school).get(template_type="APPLICATION_RECEIVED")
    assert (sms.channel, sms.status, sms.guardian_id) == ("sms", "delivered", guardian.pk)
    assert sms.body == (
        f"Greenfield Academy: hemos recibido la solicitud de Chinedu Bello (JSS 1), ref. {application.reference}. "
        "Nos pondremos en contacto con usted."
    )
    assert not Message.objects.for_school(other_school).exists()


def test_an_english_application_is_confirmed_in_english(client, school, django_capture_on_commit_callbacks):
    assert client.post(URL, form_data()).status_code == 302
    application = Application.objects.for_school(school).get()
    # English is the school's own language: the guardian's stays empty, following the school's
    assert application.language == "en" and application.guardians.get().guardian.preferred_language == ""
    with django_capture_on_commit_callbacks(execute=True):
        worker.drain()
    sms = Message.objects.for_school(school).get(template_type="APPLICATION_RECEIVED")
    assert sms.body.startswith("Greenfield Academy: we have received the application for Chinedu Bello")


def test_staff_entries_have_no_language_and_an_unknown_one_is_not_kept(school, registrar):
    assert rf.submit(school, actor=registrar).language == ""
    application = services.application_submit(
        school=school,
        applicant=rf.applicant(first_name="Tolu"),
        guardians=[rf.guardian()],
        source="form",
        language="klingon",
    )
    assert application.language == ""


def test_the_status_link_opens_in_the_language_applied_in(client, school, registrar):
    # given an application sent in Spanish that the school then asks more of
    application = rf.in_status(school, S.NEEDS_INFO, registrar)
    Application.objects.for_school(school).filter(pk=application.pk).update(language="es")
    # when the family opens its links on another device (no cookie)
    status = client.get(_path(links.status_url(application))).content.decode()
    more = client.get(_path(links.needs_info_url(application))).content.decode()
    # then they read them in Spanish
    assert "El colegio necesita algo más de usted" in status and _html_lang(status) == "es"
    assert "El colegio necesita algo más" in more and "Enviar los documentos" in more
    assert "Certificado de nacimiento" in more  # the upload fields' labels
    # unless they pick another language
    assert "needs something more" in client.get(_path(links.status_url(application)) + "?lang=en").content.decode()


def test_a_family_known_to_the_school_gets_the_language_when_the_child_is_enrolled(
    school, registrar, django_capture_on_commit_callbacks
):
    # given a guardian already on file who never chose a language, applying in Spanish for a sibling
    known = f.GuardianFactory(school=school, phone="+2348055550177", consent_sms=True)
    chosen = f.GuardianFactory(school=school, phone="+2348055550178", preferred_language="en")
    application = services.application_submit(
        school=school,
        applicant=rf.applicant(),
        guardians=[rf.guardian(phone=known.phone), rf.guardian(phone=chosen.phone, first_name="Musa")],
        source="form",
        language="es",
    )
    known.refresh_from_db()
    assert known.preferred_language == ""  # matched, not created: untouched until the child is admitted
    # when the child is enrolled
    for step in (S.IN_REVIEW, S.APPROVED, S.CONVERTED):
        application = services.application_transition(
            application=rf.place(application) if step == S.IN_REVIEW else application, to_status=step, actor=registrar
        )
    known.refresh_from_db()
    chosen.refresh_from_db()
    # then the family's guardian writes Spanish from now on, and one who chose English keeps it
    assert known.preferred_language == "es" and chosen.preferred_language == "en"


def test_a_family_writing_the_schools_own_language_follows_the_school(client, school, other_school):
    SchoolProfile.objects.filter(school=school).update(default_language="es")
    # a family that applies in the school's language keeps no language of its own (it follows the school)
    assert client.post(URL, form_data()).status_code == 302
    # one that picks English, the school being Spanish, is written to in English
    assert client.post(URL + "?lang=en", form_data(g1_phone="08055550166", g1_email="")).status_code == 302
    chose = {a.language: a.guardians.get().guardian.preferred_language for a in Application.objects.all()}
    assert chose == {"es": "", "en": "en"}
