"""An empty value leaves no dangling label (messaging/placeholders.py): a sentence or line whose
placeholders all render empty is left out, so a school without online payments sends no "Pay:" with
nothing after it; and typed values (money, days) are written in the message's language."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from messaging import rendering
from messaging.defaults import DEFAULTS, seed_default_message_templates
from messaging.defaults_es import DEFAULTS_ES
from messaging.models import Channel, MessageTemplate, TemplateType

migration = importlib.import_module("messaging.migrations.0008_result_withheld_sms_lines")
T = TemplateType


def body_of(body, context, *, type=T.INVOICE_ISSUED, channel=Channel.WHATSAPP, language="en"):
    with translation.override(language):
        return rendering.render_text(type=type, channel=channel, subject="", body=body, context=context)[1]


# --- The rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, expected",
    [
        # a sentence whose only value is empty goes, with the space before it
        ("Invoice {{ invoice_number }}. Pay: {{ pay_link }}", "Invoice INV-1."),
        ("Pay: {{ pay_link }}. Invoice {{ invoice_number }}.", "Invoice INV-1."),
        ("Due {{ due_date }}! Pay: {{ pay_link }}? Thanks.", "Due 30 Sep! Thanks."),
        # a line of its own goes with one of the blank lines around it
        ("Dear Parent,\n\nView and pay: {{ pay_link }}\n\n{{ school_name }}", "Dear Parent,\n\nGreenfield"),
        ("A\nPay: {{ pay_link }}\nB", "A\nB"),
        ("A\n\nPay: {{ pay_link }}\nCall: {{ school_phone }}\n\nB", "A\n\nB"),
        # a sentence keeps its place while any of its values has something to show
        ("Pay: {{ pay_link }} Invoice {{ invoice_number }}", "Pay:  Invoice INV-1"),
        # text without placeholders always stays, however short
        ("Pay now.\n\n{{ pay_link }}\n\nThanks.", "Pay now.\n\nThanks."),
        # a full stop inside a value (an amount, a link) cuts nothing
        ("Due: {{ amount_due }}. Pay: {{ pay_link }}", "Due: ₦1,000.00."),
    ],
)
def test_a_sentence_or_line_whose_values_are_all_empty_is_left_out(body, expected):
    context = {
        "invoice_number": "INV-1",
        "due_date": "30 Sep",
        "school_name": "Greenfield",
        "amount_due": {"money": [100_000, "NGN"]},
        "pay_link": "",
        "school_phone": "  ",
    }
    assert body_of(body, context) == expected


def test_the_cut_is_made_on_the_templates_own_text_never_inside_a_value():
    # an announcement's message of several sentences, one of them short, stays whole
    context = {"title": "Closed. Really.", "message": "School closes on Friday. Pay: later."}
    body = "*{{ title }}*\n\n{{ message }}\n\n{{ school_name }}"
    assert body_of(body, {**context, "school_name": "Greenfield"}, type=T.ANNOUNCEMENT) == (
        "*Closed. Really.*\n\nSchool closes on Friday. Pay: later.\n\nGreenfield"
    )


def test_the_subject_keeps_its_words_whatever_is_empty():
    subject, body = rendering.render_text(
        type=T.INVOICE_ISSUED,
        channel=Channel.EMAIL,
        subject="Fees for {{ student_name }}",
        body="Hello.",
        context={"student_name": ""},
    )
    assert (subject, body) == ("Fees for", "Hello.")


@pytest.mark.parametrize("language, defaults", [("en", DEFAULTS), ("es", DEFAULTS_ES)])
@pytest.mark.parametrize("template_type", [T.INVOICE_ISSUED, T.RESULT_WITHHELD, T.OVERDUE_NOTICE])
@pytest.mark.parametrize("channel", list(Channel))
def test_no_default_prints_a_pay_label_without_its_link(language, defaults, template_type, channel):
    # given a school that takes no payments online and gave no phone
    context = {**rendering.SAMPLE, "pay_link": "", "school_phone": ""}
    subject, body = defaults[template_type][channel]
    # when the default is written
    with translation.override(language):
        _subject, text = rendering.render_text(
            type=template_type, channel=channel, subject=subject, body=body, context=context
        )
    # then no line ends on a label waiting for its value, and no gap of two blank lines is left
    for line in text.splitlines():
        assert not line.rstrip().endswith(":") or line.startswith("Estimada familia"), (line, text)
    assert "Pay:" not in text and "Pagar:" not in text and "Call:" not in text and "Tel:" not in text
    assert "\n\n\n" not in text and not any("  " in line for line in text.splitlines())


# --- Typed values in the message's language --------------------------------------------------------


def test_a_day_with_its_weekday_reads_as_each_language_writes_it():
    context = {"date": {"date": "2026-12-05", "format": "WEEKDAY_MONTH_DAY"}}
    assert body_of("{{ date }}", context, type=T.ABSENCE_ALERT) == "Saturday 5 December"
    assert body_of("{{ date }}", context, type=T.ABSENCE_ALERT, language="es") == "sábado 5 de diciembre"


def test_the_family_summary_writes_each_typed_balance_in_the_messages_language():
    invoices = [
        {"student": "Ada Obi", "invoice_number": "I-1", "balance": {"money": [12_500_00, "NGN"]}},
        {"student": "Tunde Obi", "invoice_number": "I-2", "balance": "₦5.00"},  # a request made before
    ]
    context = {"invoices": invoices, "total": {"money": [13_000_00, "NGN"]}}
    body = "{{ total }}: {{ invoice_summary }}"
    assert body_of(body, context, type=T.OVERDUE_NOTICE, language="es") == (
        "₦13.000,00: I-1 Ada Obi ₦12.500,00; I-2 Tunde Obi ₦5.00"
    )
    assert body_of(body, context, type=T.OVERDUE_NOTICE).startswith("₦13,000.00: I-1 Ada Obi ₦12,500.00")


# --- The withheld-results SMS, moved to lines of their own -----------------------------------------


@pytest.mark.django_db
def test_the_migration_moves_the_seeded_withheld_sms_only(school, other_school):
    # given Greenfield's seeded SMS as it was, in both languages, and Riverside's own wording
    MessageTemplate.objects.for_school(school).delete()
    seed_default_message_templates(school, channel="sms")
    seed_default_message_templates(school, channel="sms", language="es")
    ours = MessageTemplate.objects.for_school(school).filter(type="RESULT_WITHHELD", channel="sms")
    for language, (before, _after) in migration.RESULT_WITHHELD_SMS.items():
        ours.filter(language=language).update(body=before)
    MessageTemplate.objects.for_school(other_school).delete()
    theirs = MessageTemplate.objects.create(
        school=other_school, type="RESULT_WITHHELD", channel="sms", body="Pay: {{ pay_link }} now"
    )
    # when the migration runs
    migration.to_lines(django_apps, None)
    # then Greenfield's read as today's defaults, and Riverside's own is untouched
    assert ours.get(language="en").body == DEFAULTS[T.RESULT_WITHHELD][Channel.SMS][1]
    assert ours.get(language="es").body == DEFAULTS_ES[T.RESULT_WITHHELD][Channel.SMS][1]
    theirs.refresh_from_db()
    assert theirs.body == "Pay: {{ pay_link }} now"
    # and going back restores the one-line texts
    migration.back_to_one_line(django_apps, None)
    assert ours.get(language="en").body == migration.RESULT_WITHHELD_SMS["en"][0]
