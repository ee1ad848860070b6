"""Templates: sandboxed rendering, save-time validation, SMS segments, defaults and the editor."""

import pytest
from django.core.management import CommandError, call_command

from classpoint.models import AuditLog
from messaging import rendering
from messaging.defaults import DEFAULTS, MESSAGE_LANGUAGES, message_template_save, seed_default_message_templates
from messaging.errors import MessagingError
from messaging.models import Channel, MessageTemplate, TemplateType
from messaging.rendering import render, sms_segments, validate

ALL_PAIRS = [(t, c) for t in TemplateType for c in Channel]


def _fresh(school):
    MessageTemplate.objects.for_school(school).delete()


# --- Rendering and the sandbox -------------------------------------------------------------


def test_render_fills_the_types_variables_and_leaves_missing_ones_blank():
    template = MessageTemplate(
        type=TemplateType.PAYMENT_RECEIPT,
        channel=Channel.EMAIL,
        subject="Receipt {{ receipt_number }}",
        body="Paid {{amount}} for {{ student_name }}.{{ balance }}",
    )
    subject, body = render(
        template=template, context={"receipt_number": "R-1", "amount": "₦5,000.00", "student_name": "Ada Obi"}
    )
    assert subject == "Receipt R-1"
    assert body == "Paid ₦5,000.00 for Ada Obi."


def test_render_cannot_reach_context_values_outside_the_types_variables():
    # A template stored before validation existed, naming a value the request happened to carry.
    template = MessageTemplate(
        type=TemplateType.ABSENCE_ALERT,
        channel=Channel.WHATSAPP,
        body="{{ student_name }}|{{ secret }}|{{ student_name.upper }}|{% debug %}",
    )
    _subject, body = render(template=template, context={"student_name": "Ada", "secret": "s3cr3t"})
    assert body == "Ada||{{ student_name.upper }}|{% debug %}"


def test_render_spells_naira_plainly_on_sms_so_it_stays_gsm7():
    template = MessageTemplate(
        type=TemplateType.PAYMENT_RECEIPT, channel=Channel.SMS, body="Paid {{ amount }} – thanks"
    )
    _subject, body = render(template=template, context={"amount": "₦45,000.00"})
    assert body == "Paid NGN45,000.00 - thanks"
    assert rendering.sms_encoding(body) == "GSM-7"
    whatsapp = MessageTemplate(type=TemplateType.PAYMENT_RECEIPT, channel=Channel.WHATSAPP, body="{{ amount }}")
    assert render(template=whatsapp, context={"amount": "₦45,000.00"})[1] == "₦45,000.00"


def test_render_uses_the_templates_school_name_when_the_request_gave_none(school):
    template = MessageTemplate(school=school, type=TemplateType.WELCOME, channel=Channel.SMS, body="{{ school_name }}")
    assert render(template=template, context={})[1] == "Greenfield Academy"


def test_overdue_notice_summarises_the_family_invoice_list_from_fees():
    body = "{{ total }} for {{ students }} ({{ invoice_count }}): {{ invoice_summary }}"
    template = MessageTemplate(type=TemplateType.OVERDUE_NOTICE, channel=Channel.WHATSAPP, body=body)
    context = {
        "total": "₦9.00",
        "invoices": [
            {"student": "Ada Obi", "invoice_number": "INV-1", "balance": "₦4.00"},
            {"student": "Tunde Obi", "invoice_number": "INV-2", "balance": "₦3.00"},
            {"student": "Ada Obi", "invoice_number": "INV-3", "balance": "₦2.00"},
        ],
    }
    body = render(template=template, context=context)[1]
    assert (
        body == "₦9.00 for Ada Obi and Tunde Obi (3): INV-1 Ada Obi ₦4.00; INV-2 Tunde Obi ₦3.00; INV-3 Ada Obi ₦2.00"
    )


@pytest.mark.parametrize(
    "body, expected",
    [
        ("Fees: {{ fees_total }}", "Unknown variable “fees_total”"),
        ("{{ settings.SECRET_KEY }}", "Unknown variable “settings.SECRET_KEY”"),
        ("{{ student_name.__class__ }}", "Unknown variable"),
        ("{% load static %}{% static 'x' %}", "Tags such as"),
        ("{% include 'base.html' %}", "Tags such as"),
        ("{% debug %}", "Tags such as"),
        ("{{ student_name|upper }}", "filters are not allowed"),
        ("Dear {{ student_name", "A {{ without its closing }}"),
        ("Dear student_name }}", "A }} without its opening {{"),
        ("Dear {{ }}", "An empty {{ }} placeholder"),
    ],
)
def test_validate_refuses_what_the_sandbox_does_not_allow(body, expected):
    with pytest.raises(MessagingError) as exc:
        validate(type=TemplateType.RESULT_READY, channel=Channel.SMS, subject="", body=body)
    assert any(expected in error for error in exc.value.fields["body"]), exc.value.fields


def test_validate_knows_variables_per_type():
    validate(type=TemplateType.PAYMENT_RECEIPT, channel=Channel.SMS, subject="", body="{{ receipt_number }}")
    with pytest.raises(MessagingError) as exc:
        validate(type=TemplateType.ABSENCE_ALERT, channel=Channel.SMS, subject="", body="{{ receipt_number }}")
    assert "Unknown variable “receipt_number” for Absence alert" in exc.value.fields["body"][0]


def test_validate_email_needs_a_valid_subject_and_other_channels_have_none():
    with pytest.raises(MessagingError) as exc:
        validate(type=TemplateType.WELCOME, channel=Channel.EMAIL, subject="", body="Hello")
    assert exc.value.fields == {"subject": ["An email needs a subject."]}
    with pytest.raises(MessagingError) as exc:
        validate(type=TemplateType.WELCOME, channel=Channel.EMAIL, subject="Hi {{ nope }}", body="Hello")
    assert list(exc.value.fields) == ["subject"]
    with pytest.raises(MessagingError) as exc:
        validate(type=TemplateType.WELCOME, channel=Channel.SMS, subject="Hi", body="Hello")
    assert list(exc.value.fields) == ["subject"]
    with pytest.raises(MessagingError) as exc:
        validate(type=TemplateType.WELCOME, channel=Channel.SMS, subject="", body="x" * 641)
    assert "under 640 characters" in exc.value.fields["body"][0]


# --- SMS segments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, segments",
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 153, 3),  # the escape pair is not split across parts
        ("₦" * 70, 1),  # outside GSM-7: UCS-2
        ("₦" * 71, 2),
        ("₦" * 134, 2),
        ("₦" * 135, 3),
        ("a" * 69 + "😀", 2),  # a surrogate pair counts two units
    ],
)
def test_sms_segments_follow_gsm7_and_ucs2_limits(text, segments):
    assert sms_segments(text) == segments


# --- Defaults and seeding -------------------------------------------------------------------


def test_every_type_and_channel_has_a_default():
    assert {(t, c) for t in DEFAULTS for c in DEFAULTS[t]} == set(ALL_PAIRS)
    for t, c in ALL_PAIRS:
        subject, _body = DEFAULTS[t][c]
        assert bool(subject) == (c == Channel.EMAIL)


@pytest.mark.parametrize("template_type, channel", ALL_PAIRS)
def test_every_default_is_valid_and_an_sms_fits_two_segments(template_type, channel):
    subject, body = DEFAULTS[template_type][channel]
    validate(type=template_type, channel=channel, subject=subject, body=body)
    result = rendering.preview(type=template_type, channel=channel, subject=subject, body=body)
    assert "{{" not in result["body"] and "}}" not in result["subject"]
    if channel == Channel.SMS:
        assert result["encoding"] == "GSM-7" and result["segments"] <= 2, result


@pytest.mark.django_db
def test_seeding_creates_the_missing_defaults_once(school):
    _fresh(school)
    assert seed_default_message_templates(school) == len(ALL_PAIRS)
    assert seed_default_message_templates(school) == 0
    assert MessageTemplate.objects.for_school(school).count() == len(ALL_PAIRS)
    receipt = MessageTemplate.objects.for_school(school).get(type="PAYMENT_RECEIPT", channel="email")
    assert (receipt.subject, receipt.body) == DEFAULTS[TemplateType.PAYMENT_RECEIPT][Channel.EMAIL]
    assert AuditLog.objects.filter(school=school, action="message_templates.seeded").count() == 1


@pytest.mark.django_db
def test_seeding_one_channel_keeps_what_the_school_wrote(school, other_school, alice):
    _fresh(school)
    message_template_save(
        school=school,
        actor=alice,
        type="WELCOME",
        channel="sms",
        subject="",
        body="Our own welcome to {{ student_name }}",
    )
    before = MessageTemplate.objects.for_school(other_school).count()
    assert seed_default_message_templates(school, channel="sms") == len(TemplateType) - 1
    assert not MessageTemplate.objects.for_school(school).exclude(channel="sms").exists()
    assert MessageTemplate.objects.for_school(school).get(type="WELCOME", channel="sms").body.startswith("Our own")
    assert MessageTemplate.objects.for_school(other_school).count() == before
    with pytest.raises(MessagingError):
        seed_default_message_templates(school, channel="fax")


@pytest.mark.django_db
def test_seed_command_for_one_school_and_channel(school, capsys):
    _fresh(school)
    call_command("seed_message_templates", "--school", "greenfield", "--channel", "whatsapp", "--language", "en")
    assert f"greenfield: {len(TemplateType)} template(s) created" in capsys.readouterr().out
    assert set(MessageTemplate.objects.for_school(school).values_list("channel", "language")) == {("whatsapp", "en")}
    # without --language, every language messages are written in
    call_command("seed_message_templates", "--school", "greenfield")
    assert MessageTemplate.objects.for_school(school).count() == len(ALL_PAIRS) * len(MESSAGE_LANGUAGES)
    assert set(MessageTemplate.objects.for_school(school).values_list("language", flat=True)) == {"en", "es"}
    with pytest.raises(CommandError):
        call_command("seed_message_templates", "--school", "nowhere")


# --- Saving ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_an_unknown_variable_is_refused_and_changes_nothing(school, alice):
    _fresh(school)
    seed_default_message_templates(school, channel="sms")
    audits = AuditLog.objects.filter(school=school).count()
    with pytest.raises(MessagingError) as exc:
        message_template_save(
            school=school,
            actor=alice,
            type="RESULT_READY",
            channel="sms",
            subject="",
            body="Results: {{ result_link }} {{ fees_balance }}",
        )
    assert "fees_balance" in exc.value.fields["body"][0]
    template = MessageTemplate.objects.for_school(school).get(type="RESULT_READY", channel="sms")
    assert template.body == DEFAULTS[TemplateType.RESULT_READY][Channel.SMS][1]
    assert AuditLog.objects.filter(school=school).count() == audits


@pytest.mark.django_db
def test_saving_a_change_is_audited_with_before_and_after(school, alice):
    _fresh(school)
    seed_default_message_templates(school, channel="sms")
    old = DEFAULTS[TemplateType.ABSENCE_ALERT][Channel.SMS][1]
    template = message_template_save(
        school=school,
        actor=alice,
        type="ABSENCE_ALERT",
        channel="sms",
        subject="",
        body="{{ student_name }} was absent on {{ date }}.",
        is_active=False,
    )
    assert (template.body, template.is_active, template.updated_by) == (
        "{{ student_name }} was absent on {{ date }}.",
        False,
        alice,
    )
    entry = AuditLog.objects.get(school=school, action="message_template.updated")
    assert entry.actor == alice and entry.target_id == str(template.pk)
    assert entry.changes["body"] == [old, "{{ student_name }} was absent on {{ date }}."]
    assert entry.changes["is_active"] == [True, False]


# --- The editor -----------------------------------------------------------------------------


def _edit_url(template_type="RESULT_READY", channel="sms", slug="greenfield"):
    return f"/s/{slug}/messages/templates/{template_type}/{channel}/"


@pytest.mark.django_db
def test_admin_sees_every_type_and_adds_the_missing_defaults(school, alice, verified_client):
    _fresh(school)
    client = verified_client(alice)
    page = client.get("/s/greenfield/messages/templates/").content.decode()
    assert "Absence alert" in page and f"{len(ALL_PAIRS)} templates are missing" in page
    response = client.post("/s/greenfield/messages/templates/seed/")
    assert response.status_code == 302
    assert MessageTemplate.objects.for_school(school).count() == len(ALL_PAIRS)
    page = client.get("/s/greenfield/messages/templates/").content.decode()
    assert "missing" not in page.lower().replace("badge-void", "")


@pytest.mark.django_db
def test_admin_saves_a_template_from_the_editor(school, alice, verified_client):
    _fresh(school)
    client = verified_client(alice)
    page = client.get(_edit_url()).content.decode()
    assert "Saving creates it" in page and "{{ result_link }}" in page  # the default, not yet stored
    response = client.post(_edit_url(), {"body": "{{ student_name }}: results at {{ result_link }}", "is_active": "on"})
    assert response.status_code == 302
    template = MessageTemplate.objects.for_school(school).get(type="RESULT_READY", channel="sms")
    assert template.body == "{{ student_name }}: results at {{ result_link }}" and template.updated_by == alice
    assert AuditLog.objects.filter(school=school, action="message_template.created", actor=alice).exists()


@pytest.mark.django_db
def test_editor_shows_field_errors_and_saves_nothing(school, alice, verified_client):
    _fresh(school)
    seed_default_message_templates(school, channel="email")
    client = verified_client(alice)
    response = client.post(_edit_url("WELCOME", "email"), {"subject": "", "body": "Hi {{ wallet }} {% now 'Y' %}"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and "An email needs a subject." in page
    assert "Unknown variable “wallet”" in page and "Tags such as" in page
    template = MessageTemplate.objects.for_school(school).get(type="WELCOME", channel="email")
    assert template.body == DEFAULTS[TemplateType.WELCOME][Channel.EMAIL][1]
    assert not AuditLog.objects.filter(school=school, action__startswith="message_template.").exists()


@pytest.mark.django_db
def test_live_preview_renders_sample_data_with_the_sms_segment_count(school, alice, verified_client):
    client = verified_client(alice)
    url = _edit_url("PAYMENT_RECEIPT", "sms") + "preview/"
    response = client.post(
        url, {"body": "Paid {{ amount }} for {{ student_name }}. " + "x" * 150}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Paid NGN45,000.00 for Adaeze Okafor." in page
    assert "2 SMS segments" in page and "GSM-7" in page
    assert (
        not MessageTemplate.objects.for_school(school)
        .filter(type="PAYMENT_RECEIPT", channel="sms", body__startswith="Paid")
        .exists()
    )
    refused = client.post(url, {"body": "{{ nope }}"}).content.decode()
    assert "would be refused" in refused and "Unknown variable “nope”" in refused
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_preview_button_works_without_javascript(school, alice, verified_client):
    client = verified_client(alice)
    data = {"subject": "Absent: {{ student_name }}", "body": "On {{ date }}", "preview": "1"}
    response = client.post(_edit_url("ABSENCE_ALERT", "email"), data)
    page = response.content.decode()
    assert response.status_code == 200 and "Absent: Adaeze Okafor" in page and "On 14 Oct 2026" in page
    assert not MessageTemplate.objects.for_school(school).filter(subject__startswith="Absent:").exists()


@pytest.mark.django_db
def test_staff_without_manage_templates_get_403(school, bursar, verified_client):
    client = verified_client(bursar)
    assert client.get("/s/greenfield/messages/templates/").status_code == 403
    assert client.post(_edit_url(), {"body": "x"}).status_code == 403
    assert not MessageTemplate.objects.for_school(school).filter(body="x").exists()


@pytest.mark.django_db
def test_other_school_admin_gets_404_and_unknown_types_404(school, other_school, charlie, verified_client):
    client = verified_client(charlie)
    assert client.get("/s/greenfield/messages/templates/").status_code == 404
    assert client.post(_edit_url(), {"body": "{{ student_name }}"}).status_code == 404
    assert client.post(_edit_url() + "preview/", {"body": "x"}).status_code == 404
    assert client.get("/s/greenfield/messages/templates/seed/").status_code == 404
    assert client.post("/s/greenfield/messages/templates/seed/").status_code == 404
    assert client.get(_edit_url("NOPE", "sms", slug="riverside")).status_code == 404
    assert client.get(_edit_url("WELCOME", "fax", slug="riverside")).status_code == 404
    assert not MessageTemplate.objects.for_school(school).filter(body="{{ student_name }}").exists()
