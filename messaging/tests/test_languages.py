"""Messages in the guardian's language: a template per type, channel and language; the guardian's
language, else the request's, else the school's, else English; typed values formatted in the message's
language; the Spanish defaults; the editor's language versions; the preferences page's choice."""

import datetime
import importlib
import urllib.parse
import zoneinfo

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from classpoint.messages import request_message
from classpoint.models import AuditLog
from classpoint.money import format_money
from classpoint.outbox import worker
from messaging import pipeline, preferences, rendering
from messaging.defaults import DEFAULTS, message_template_save, seed_default_message_templates
from messaging.defaults_es import DEFAULTS_ES
from messaging.errors import MessagingError
from messaging.models import Channel, Message, MessageTemplate, TemplateType
from schools.models import SchoolProfile
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

ALL_PAIRS = [(t, c) for t in TemplateType for c in Channel]
CONTEXT = {"applicant_name": "Chinedu Bello", "reference": "APP-000042", "class_name": "JSS 1"}
migration = importlib.import_module("messaging.migrations.0007_template_language")


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    noon = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=zoneinfo.ZoneInfo("Africa/Lagos"))
    monkeypatch.setattr(pipeline, "_now", lambda: noon)


@pytest.fixture
def seeded(school, other_school):
    worker.drain()  # provisioning seeds each school's templates, in every language
    return school


def _guardian(school, **extra):
    return f.GuardianFactory(school=school, **{"consent_sms": True, "preferred_channel": "sms", **extra})


def ask(school, guardian, capture, *, key, template="APPLICATION_RECEIVED", context=CONTEXT, language=None):
    with capture(execute=True):
        event = request_message(
            school=school, template=template, guardian_ids=[guardian.pk], context=context, dedupe_key=key
        )
        if language is not None:  # what registrar's requests carry: the language the family applied in
            event.payload["language"] = language
            event.save(update_fields=["payload"])
        worker.drain()
    return Message.objects.for_school(school).get(guardian=guardian, request_event_id=event.pk)


# --- Which language --------------------------------------------------------------------------


def test_the_guardians_language_chooses_the_template(seeded, django_capture_on_commit_callbacks):
    spanish = _guardian(seeded, preferred_language="es")
    english = _guardian(seeded, preferred_language="en")
    assert ask(seeded, spanish, django_capture_on_commit_callbacks, key="a").body.startswith(
        "Greenfield Academy: hemos recibido la solicitud de Chinedu Bello (JSS 1), ref. APP-000042."
    )
    assert ask(seeded, english, django_capture_on_commit_callbacks, key="b").body.startswith(
        "Greenfield Academy: we have received the application for Chinedu Bello"
    )


def test_a_guardian_without_a_language_gets_the_requests_then_the_schools_then_english(
    seeded, other_school, django_capture_on_commit_callbacks
):
    guardian = _guardian(seeded)
    # the request's language (a family that applied in Spanish)
    message = ask(seeded, guardian, django_capture_on_commit_callbacks, key="a", language="es")
    assert "hemos recibido" in message.body
    # else the school's
    assert "we have received" in ask(seeded, guardian, django_capture_on_commit_callbacks, key="b").body
    SchoolProfile.objects.filter(school=seeded).update(default_language="es")
    assert "hemos recibido" in ask(seeded, guardian, django_capture_on_commit_callbacks, key="c").body
    # a guardian's own language beats the request's
    guardian.preferred_language = "en"
    guardian.save()
    assert "we have received" in ask(seeded, guardian, django_capture_on_commit_callbacks, key="d", language="es").body
    # and one messages are not written in (Yoruba) falls through to the next: here the school's
    guardian.preferred_language = "yo"
    guardian.save()
    assert "hemos recibido" in ask(seeded, guardian, django_capture_on_commit_callbacks, key="f").body
    # and the other school is untouched by Greenfield's default
    theirs = _guardian(other_school)
    assert "we have received" in ask(other_school, theirs, django_capture_on_commit_callbacks, key="e").body


def test_the_schools_own_spanish_wording_wins_and_the_built_in_default_stands_in(
    seeded, alice, django_capture_on_commit_callbacks
):
    guardian = _guardian(seeded, preferred_language="es")
    message_template_save(
        school=seeded,
        actor=alice,
        type="APPLICATION_RECEIVED",
        channel="sms",
        subject="",
        body="{{ school_name }}: solicitud {{ reference }} recibida.",
        language="es",
    )
    assert ask(seeded, guardian, django_capture_on_commit_callbacks, key="a").body == (
        "Greenfield Academy: solicitud APP-000042 recibida."
    )
    # the English version is untouched
    english = MessageTemplate.objects.for_school(seeded).get(type="APPLICATION_RECEIVED", channel="sms", language="en")
    assert english.body == DEFAULTS[TemplateType.APPLICATION_RECEIVED][Channel.SMS][1]
    # without any Spanish row, the built-in Spanish default is used
    MessageTemplate.objects.for_school(seeded).filter(language="es").delete()
    assert "hemos recibido" in ask(seeded, guardian, django_capture_on_commit_callbacks, key="b").body


def test_a_spanish_version_switched_off_is_not_sent(seeded, django_capture_on_commit_callbacks):
    guardian = _guardian(seeded, preferred_language="es")
    MessageTemplate.objects.for_school(seeded).filter(type="APPLICATION_RECEIVED", language="es").update(
        is_active=False
    )
    message = ask(seeded, guardian, django_capture_on_commit_callbacks, key="a")
    assert message.status == "suppressed" and "switched off" in message.status_reason
    assert "in Español" in message.status_reason


# --- Values in the message's language ---------------------------------------------------------


def test_typed_values_are_written_in_the_messages_language(seeded, django_capture_on_commit_callbacks):
    context = {
        "student_name": "Ada Obi",
        "amount": {"money": [4_500_000, "NGN"]},
        "balance": {"money": [0, "NGN"]},
        "receipt_number": "R-1",
        "invoice_number": "INV-1",
        "paid_at": {"date": "2026-03-03"},
    }
    spanish = _guardian(seeded, preferred_language="es", consent_whatsapp=True, preferred_channel="whatsapp")
    english = _guardian(seeded, consent_whatsapp=True, preferred_channel="whatsapp")
    es = ask(seeded, spanish, django_capture_on_commit_callbacks, key="a", template="PAYMENT_RECEIPT", context=context)
    en = ask(seeded, english, django_capture_on_commit_callbacks, key="b", template="PAYMENT_RECEIPT", context=context)
    with translation.override("es"):
        amount_es = format_money(4_500_000, "NGN")
    with translation.override("en"):
        amount_en = format_money(4_500_000, "NGN")
    assert f"*{amount_es}*" in es.body and "el 3 de marzo de 2026" in es.body
    assert f"*{amount_en}*" in en.body and "on 3 Mar 2026" in en.body


def test_a_familys_children_are_joined_in_the_messages_language():
    ctx = {"invoices": [{"student": "Ada Obi", "invoice_number": "I-1"}, {"student": "Tunde Obi"}]}
    for language, joined in (("en", "Ada Obi and Tunde Obi"), ("es", "Ada Obi y Tunde Obi")):
        with translation.override(language):
            _subject, body = rendering.render_text(
                type=TemplateType.OVERDUE_NOTICE,
                channel=Channel.SMS,
                subject="",
                body="{{ students }}",
                context=ctx,
            )
        assert body == joined


def test_an_sms_keeps_to_gsm7_by_writing_accents_gsm7_lacks_plainly():
    text = "Actualícela: ¡Felicidades, Adébáyọ̀! Año próximo, niño."
    plain = rendering.sms_plain(text)
    assert plain == "Actualicela: ¡Felicidades, Adébayo! Año proximo, niño."
    assert rendering.is_gsm7(plain) and rendering.sms_encoding(plain) == "GSM-7"
    assert rendering.sms_plain("😀 ₦5") == "😀 NGN5"  # what has no plain letter stays as it is


@pytest.mark.parametrize("template_type, channel", ALL_PAIRS)
def test_every_spanish_default_is_valid_and_an_sms_fits_two_segments(template_type, channel):
    subject, body = DEFAULTS_ES[template_type][channel]
    rendering.validate(type=template_type, channel=channel, subject=subject, body=body)
    result = rendering.preview(type=template_type, channel=channel, subject=subject, body=body)
    assert "{{" not in result["body"] and bool(subject) == (channel == Channel.EMAIL)
    if channel == Channel.SMS:
        assert result["encoding"] == "GSM-7" and result["segments"] <= 2, result
    # the same values as the English default
    english = DEFAULTS[template_type][channel]
    names = set(rendering._PLACEHOLDER.findall(subject + body))
    assert {n.strip() for n in names} <= {n.strip() for n in rendering._PLACEHOLDER.findall("".join(english))} | {
        "guardian_name",
        "preferences_link",
    }


# --- Seeding and saving ------------------------------------------------------------------------


def test_a_new_school_gets_the_defaults_in_every_language(seeded, other_school):
    for school in (seeded, other_school):
        rows = MessageTemplate.objects.for_school(school)
        assert rows.filter(language="en").count() == len(ALL_PAIRS) == rows.filter(language="es").count()
    receipt = MessageTemplate.objects.for_school(seeded).get(type="PAYMENT_RECEIPT", channel="email", language="es")
    assert (receipt.subject, receipt.body) == DEFAULTS_ES[TemplateType.PAYMENT_RECEIPT][Channel.EMAIL]
    seeded_audit = AuditLog.objects.filter(school=seeded, action="message_templates.seeded")
    assert sorted(entry.changes.get("language", "en") for entry in seeded_audit) == ["en", "es"]


def test_seeding_one_language_leaves_the_others_and_refuses_an_unknown_one(school, other_school):
    MessageTemplate.objects.for_school(school).delete()
    assert seed_default_message_templates(school, language="es") == len(ALL_PAIRS)
    assert set(MessageTemplate.objects.for_school(school).values_list("language", flat=True)) == {"es"}
    assert not MessageTemplate.objects.for_school(other_school).exists()  # not drained: nothing seeded there
    with pytest.raises(MessagingError) as exc:
        seed_default_message_templates(school, language="yo")
    assert "language" in exc.value.fields


def test_the_migration_gives_schools_spanish_beside_their_english_templates(school, other_school):
    # given Greenfield with its English templates (one Spanish one of its own) and Riverside with none
    seed_default_message_templates(school)
    MessageTemplate.objects.create(school=school, type="WELCOME", channel="sms", language="es", body="Hola")
    # when the migration's data step runs
    migration.seed_spanish(django_apps, None)
    # then Greenfield has each Spanish default beside its English one, and keeps its own
    ours = MessageTemplate.objects.for_school(school)
    assert ours.filter(language="es").count() == len(ALL_PAIRS)
    assert ours.get(type="WELCOME", channel="sms", language="es").body == "Hola"
    assert not MessageTemplate.objects.for_school(other_school).exists()
    # and going back leaves the English ones only
    migration.drop_other_languages(django_apps, None)
    assert set(ours.values_list("language", flat=True)) == {"en"}


# --- The editor ---------------------------------------------------------------------------------


def test_staff_edit_each_languages_version(seeded, alice, verified_client):
    client = verified_client(alice)
    page = client.get("/s/greenfield/messages/templates/?language=es").content.decode()
    assert 'aria-current="page">Español</a>' in page and "missing" not in page.lower().replace("badge-void", "")
    assert "/messages/templates/WELCOME/sms/?language=es" in page
    url = "/s/greenfield/messages/templates/WELCOME/sms/"
    editor = client.get(url + "?language=es").content.decode()
    assert "¡Bienvenidos a {{ school_name }}!" in editor and 'name="language" value="es"' in editor
    response = client.post(url, {"language": "es", "body": "¡Bienvenidos, {{ student_name }}!", "is_active": "on"})
    assert response.status_code == 302 and response["Location"].endswith("/messages/templates/?language=es")
    rows = MessageTemplate.objects.for_school(seeded).filter(type="WELCOME", channel="sms")
    assert rows.get(language="es").body == "¡Bienvenidos, {{ student_name }}!"
    assert rows.get(language="en").body == DEFAULTS[TemplateType.WELCOME][Channel.SMS][1]
    entry = AuditLog.objects.get(school=seeded, action="message_template.updated")
    assert entry.target_id == str(rows.get(language="es").pk)


def test_the_spanish_tab_adds_its_missing_defaults(school, alice, verified_client):
    MessageTemplate.objects.for_school(school).delete()
    seed_default_message_templates(school)
    client = verified_client(alice)
    page = client.get("/s/greenfield/messages/templates/?language=es").content.decode()
    assert f"{len(ALL_PAIRS)} templates are missing" in page and 'name="language" value="es"' in page
    response = client.post("/s/greenfield/messages/templates/seed/", {"language": "es"})
    assert response.status_code == 302 and response["Location"].endswith("?language=es")
    assert MessageTemplate.objects.for_school(school).filter(language="es").count() == len(ALL_PAIRS)


def test_an_unknown_language_or_another_school_is_not_found(seeded, other_school, alice, charlie, verified_client):
    client = verified_client(alice)
    assert client.get("/s/greenfield/messages/templates/?language=xx").status_code == 404
    assert client.get("/s/greenfield/messages/templates/WELCOME/sms/?language=yo").status_code == 404
    client.logout()
    client = verified_client(charlie)
    assert client.get("/s/greenfield/messages/templates/?language=es").status_code == 404
    response = client.post("/s/greenfield/messages/templates/WELCOME/sms/", {"language": "es", "body": "x"})
    assert response.status_code == 404
    assert not MessageTemplate.objects.for_school(seeded).filter(body="x").exists()


# --- The guardian's preferences page -------------------------------------------------------------


def _preferences_path(school, guardian):
    return urllib.parse.urlsplit(preferences.preferences_link(school=school, guardian=guardian)).path


def test_the_preferences_page_is_in_the_guardians_language_and_sets_it(client, school, other_school):
    guardian = _guardian(school, preferred_language="es")
    path = _preferences_path(school, guardian)
    page = client.get(path).content.decode()
    assert '<html lang="es">' in page and "Sus preferencias de mensajes" in page
    assert "Mensajes de texto (SMS)" in page and "Como escribe el colegio (English)" in page
    # when the guardian chooses English for their messages
    response = client.post(path, {"channels": ["sms"], "language": "en"})
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert guardian.preferred_language == "en"
    # then the page follows (no cookie was set: the guardian's own choice decides)
    assert "Your message preferences" in client.get(path).content.decode()
    # and an unknown language changes nothing
    client.post(path, {"channels": ["sms"], "language": "xx"})
    guardian.refresh_from_db()
    assert guardian.preferred_language == "en"
    # back to the school's language
    client.post(path, {"channels": ["sms"], "language": ""})
    guardian.refresh_from_db()
    assert guardian.preferred_language == ""
