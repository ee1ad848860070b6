"""The message templates a school starts with, and the services that seed and edit them.

Defaults are short: an SMS fits in one or two segments on realistic values (amounts arrive formatted,
and ₦ is spelled NGN on SMS so the message stays GSM-7). "Dear Parent" rather than a name, because
a guardian's name is not always on file and "Dear ," is worse than either.

Each language messages are written in has its defaults (English here, Spanish in defaults_es); a
school's template is one type, channel and language.
"""

from django.db import transaction
from django.utils import timezone

from classpoint import i18n
from classpoint.audit import audit

from .defaults_es import DEFAULTS_ES
from .errors import MessagingError, MessagingErrorCode
from .models import Channel, MessageTemplate, TemplateType
from .rendering import validate

T, SMS, WA, EMAIL = TemplateType, Channel.SMS, Channel.WHATSAPP, Channel.EMAIL

# {type: {channel: (subject, body)}}; subject only for email.
DEFAULTS = {
    T.PAYMENT_RECEIPT: {
        SMS: (
            "",
            "{{ school_name }}: we received {{ amount }} for {{ student_name }}. Receipt {{ receipt_number }}. "
            "Balance: {{ balance }}. Thank you.",
        ),
        WA: (
            "",
            "Dear Parent,\n\nWe have received *{{ amount }}* for {{ student_name }} on {{ paid_at }}.\n"
            "Receipt: {{ receipt_number }}\nInvoice: {{ invoice_number }}\nBalance: {{ balance }}\n\n"
            "Thank you.\n{{ school_name }}",
        ),
        EMAIL: (
            "Payment received: {{ receipt_number }} for {{ student_name }}",
            "Dear Parent,\n\nThank you. We have received your payment of {{ amount }} for {{ student_name }} "
            "on {{ paid_at }}.\n\nReceipt number: {{ receipt_number }}\nInvoice: {{ invoice_number }}\n"
            "Outstanding balance: {{ balance }}\n\nPlease keep this email for your records.\n\n"
            "The Bursary\n{{ school_name }}",
        ),
    },
    T.INVOICE_ISSUED: {
        SMS: (
            "",
            "{{ school_name }}: {{ term_name }} fees for {{ student_name }}: {{ amount_due }}, due "
            "{{ due_date }}. Invoice {{ invoice_number }}. Pay: {{ pay_link }}",
        ),
        WA: (
            "",
            "Dear Parent,\n\nThe {{ term_name }} fees invoice for {{ student_name }} is ready.\n"
            "Invoice: {{ invoice_number }}\nAmount due: *{{ amount_due }}*\nDue date: {{ due_date }}\n\n"
            "View and pay: {{ pay_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "{{ term_name }} fees invoice for {{ student_name }}",
            "Dear Parent,\n\nThe {{ term_name }} fees invoice for {{ student_name }} is ready.\n\n"
            "Invoice number: {{ invoice_number }}\nAmount due: {{ amount_due }}\nDue date: {{ due_date }}\n\n"
            "You can view the invoice and pay online here: {{ pay_link }}\n\n"
            "If you have any questions, please contact the bursary.\n\nThe Bursary\n{{ school_name }}\n\n"
            "Manage your messages: {{ preferences_link }}",
        ),
    },
    T.OVERDUE_NOTICE: {
        SMS: (
            "",
            "{{ school_name }}: fees of {{ total }} for {{ students }} are overdue. Kindly pay or contact the "
            "bursary. Please ignore if you have paid.",
        ),
        WA: (
            "",
            "Dear Parent,\n\nThis is a gentle reminder that school fees of *{{ total }}* for {{ students }} "
            "are overdue.\n{{ invoice_summary }}\n\nKindly pay or speak with the bursary about a plan. "
            "If you have already paid, please ignore this message.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Reminder: overdue school fees for {{ students }}",
            "Dear Parent,\n\nThis is a gentle reminder that school fees of {{ total }} for {{ students }} are "
            "overdue.\n\n{{ invoice_summary }}\n\nKindly make payment, or contact the bursary if you would "
            "like to agree a payment plan. If you have already paid, please accept our thanks and ignore "
            "this reminder.\n\nThe Bursary\n{{ school_name }}",
        ),
    },
    T.PAYMENT_PROOF_REJECTED: {
        SMS: (
            "",
            "{{ school_name }}: we could not confirm your transfer of {{ amount }} for {{ student_name }}: "
            "{{ reason }}. Please contact the bursary.",
        ),
        WA: (
            "",
            "Dear Parent,\n\nWe could not confirm your transfer of *{{ amount }}* for {{ student_name }} "
            "(reference {{ bank_reference }}, {{ paid_on }}).\nReason: {{ reason }}\n\n"
            "Please upload a clearer proof or contact the bursary.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "We could not confirm your transfer for {{ student_name }}",
            "Dear Parent,\n\nWe could not confirm your bank transfer of {{ amount }} for {{ student_name }} "
            "(invoice {{ invoice_number }}).\n\nReference: {{ bank_reference }}\nDate given: {{ paid_on }}\n"
            "Reason: {{ reason }}\n\nPlease upload a clearer proof of payment or contact the bursary, and we "
            "will look at it again.\n\nThe Bursary\n{{ school_name }}",
        ),
    },
    T.RESULT_READY: {
        SMS: ("", "{{ school_name }}: {{ student_name }}'s {{ term_name }} results are ready. View: {{ result_link }}"),
        WA: (
            "",
            "Dear Parent,\n\n{{ student_name }}'s {{ term_name }} results ({{ class_name }}) are now "
            "available.\n\nView the report card: {{ result_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "{{ term_name }} results for {{ student_name }}",
            "Dear Parent,\n\n{{ student_name }}'s results for {{ term_name }} ({{ class_name }}) are now "
            "available.\n\nView and download the report card here: {{ result_link }}\n\n"
            "Thank you for your support.\n\n{{ school_name }}",
        ),
    },
    T.RESULT_UPDATED: {
        SMS: (
            "",
            "{{ school_name }}: {{ student_name }}'s {{ term_name }} report card has been updated. "
            "View: {{ result_link }}",
        ),
        WA: (
            "",
            "Dear Parent,\n\n{{ student_name }}'s {{ term_name }} report card ({{ class_name }}) has been "
            "updated since we first shared it.\n\nView the latest report card: {{ result_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Updated {{ term_name }} results for {{ student_name }}",
            "Dear Parent,\n\n{{ student_name }}'s report card for {{ term_name }} ({{ class_name }}) has been "
            "updated since we first shared it. Please use this version.\n\n"
            "View and download the latest report card here: {{ result_link }}\n\n{{ school_name }}",
        ),
    },
    T.RESULT_WITHHELD: {
        SMS: (
            "",
            "{{ school_name }}: {{ student_name }}'s {{ term_name }} results are ready, held until the balance of "
            "{{ amount_owed }} is settled.\nPay: {{ pay_link }}\nCall: {{ school_phone }}",
        ),
        WA: (
            "",
            "Dear Parent,\n\n{{ student_name }}'s {{ term_name }} results ({{ class_name }}) are ready. The "
            "report card is held until the outstanding balance of *{{ amount_owed }}* is settled.\n\n"
            "Pay here: {{ pay_link }}\n\nOnce it is settled we will send you the report card. Questions? "
            "Call the school on {{ school_phone }}.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "{{ term_name }} results for {{ student_name }}: balance outstanding",
            "Dear Parent,\n\n{{ student_name }}'s results for {{ term_name }} ({{ class_name }}) are ready. "
            "In line with the school's policy, the report card is held until the outstanding balance of "
            "{{ amount_owed }} is settled.\n\nYou can pay online here: {{ pay_link }}\n\n"
            "Once the balance is settled we will send you a link to the report card. If you have already paid "
            "or would like to discuss this, please call the school on {{ school_phone }}.\n\n"
            "The Bursary\n{{ school_name }}",
        ),
    },
    T.ANNOUNCEMENT: {
        SMS: ("", "{{ school_name }}: {{ title }}. {{ message }}"),
        WA: ("", "*{{ title }}*\n\n{{ message }}\n\n{{ school_name }}"),
        EMAIL: (
            "{{ title }}",
            "Dear Parent,\n\n{{ message }}\n\nKind regards,\n{{ school_name }}\n\n"
            "Manage your messages: {{ preferences_link }}",
        ),
    },
    T.APPLICATION_RECEIVED: {
        SMS: (
            "",
            "{{ school_name }}: we have received the application for {{ applicant_name }} ({{ class_name }}), "
            "ref {{ reference }}. We will be in touch.",
        ),
        WA: (
            "",
            "Dear Parent,\n\nThank you for applying to {{ school_name }}. We have received the application "
            "for {{ applicant_name }} ({{ class_name }}).\nReference: {{ reference }}\n\n"
            "Follow its progress: {{ status_link }}",
        ),
        EMAIL: (
            "Application received: {{ applicant_name }} ({{ reference }})",
            "Dear Parent,\n\nThank you for applying to {{ school_name }}. We have received the application "
            "for {{ applicant_name }} into {{ class_name }}.\n\nReference: {{ reference }}\n\n"
            "You can follow its progress here: {{ status_link }}\nWe will contact you about the next steps.\n\n"
            "Admissions Office\n{{ school_name }}",
        ),
    },
    T.APPLICATION_NEEDS_INFO: {
        SMS: (
            "",
            "{{ school_name }}: the application for {{ applicant_name }} (ref {{ reference }}) needs "
            "{{ note }}. Update it: {{ status_link }}",
        ),
        WA: (
            "",
            "Dear Parent,\n\nThe application for {{ applicant_name }} (ref {{ reference }}) needs a little "
            "more from you:\n{{ note }}\n\nUpdate it here: {{ status_link }}\n\n{{ school_name }}",
        ),
        EMAIL: (
            "More information needed: {{ applicant_name }} ({{ reference }})",
            "Dear Parent,\n\nThank you for applying to {{ school_name }}. To continue with the application "
            "for {{ applicant_name }} (reference {{ reference }}), we need:\n\n{{ note }}\n\n"
            "Please update the application here: {{ status_link }}\n\nAdmissions Office\n{{ school_name }}",
        ),
    },
    T.APPLICATION_APPROVED: {
        SMS: (
            "",
            "Congratulations! {{ applicant_name }} has been offered admission into {{ class_name }} at "
            "{{ school_name }}. Next steps: {{ status_link }}",
        ),
        WA: (
            "",
            "Dear Parent,\n\nCongratulations! {{ applicant_name }} has been offered admission into "
            "*{{ class_name }}* at {{ school_name }}.\n\nSee the next steps: {{ status_link }}",
        ),
        EMAIL: (
            "Offer of admission: {{ applicant_name }}",
            "Dear Parent,\n\nCongratulations! We are pleased to offer {{ applicant_name }} admission into "
            "{{ class_name }} at {{ school_name }} (reference {{ reference }}).\n\n"
            "Please see the next steps, including acceptance and fees, here: {{ status_link }}\n\n"
            "We look forward to welcoming you.\n\nAdmissions Office\n{{ school_name }}",
        ),
    },
    T.WELCOME: {
        SMS: (
            "",
            "Welcome to {{ school_name }}! {{ student_name }} is now enrolled in {{ class_name }}. "
            "You will get fees, results and school news on this number.",
        ),
        WA: (
            "",
            "Dear Parent,\n\nWelcome to {{ school_name }}! {{ student_name }} is now enrolled in "
            "{{ class_name }}.\n\nWe will send fees, results and school news here.",
        ),
        EMAIL: (
            "Welcome to {{ school_name }}",
            "Dear Parent,\n\nWelcome to {{ school_name }}! {{ student_name }} is now enrolled in "
            "{{ class_name }}.\n\nWe will send invoices, receipts, results and school news to this address. "
            "We look forward to working with you.\n\nKind regards,\n{{ school_name }}",
        ),
    },
    T.ABSENCE_ALERT: {
        SMS: (
            "",
            "{{ school_name }}, {{ date }}: {{ student_name }} ({{ class_name }}) {{ absence }}. "
            "If this is unexpected, please call the school {{ school_phone }}",
        ),
        WA: (
            "",
            "Dear Parent,\n\n{{ date }}: {{ student_name }} ({{ class_name }}) {{ absence }}.\n"
            "If this is unexpected, please contact the school.\n\n{{ school_name }}\n{{ school_phone }}",
        ),
        EMAIL: (
            "{{ student_name }} {{ absence }}",
            "Dear Parent,\n\n{{ date }}: {{ student_name }} ({{ class_name }}) {{ absence }}.\n\n"
            "If you did not expect this, please contact the school as soon as you can.\n\n"
            "{{ school_name }}\n{{ school_phone }}",
        ),
    },
    T.ABSENCE_WITHDRAWN: {
        SMS: (
            "",
            "{{ school_name }}: Update: {{ student_name }} was marked present after all on {{ date }}. "
            "Sorry for the worry.",
        ),
        WA: (
            "",
            "Dear Parent,\n\nUpdate: {{ student_name }} was marked present after all on {{ date }}. "
            "Sorry for the worry.\n\n{{ school_name }}",
        ),
        EMAIL: (
            "Update: {{ student_name }} was marked present after all",
            "Dear Parent,\n\nUpdate: {{ student_name }} was marked present after all on {{ date }}. "
            "Sorry for the worry.\n\n{{ school_name }}",
        ),
    },
    T.TRUANCY_LETTER: {
        SMS: (
            "",
            "{{ school_name }}: we have sent you a letter about {{ student_name }}'s attendance "
            "({{ days_count }} days counted). Read it: {{ letter_link }}",
        ),
        WA: (
            "",
            "Dear {{ guardian_name }},\n\n{{ school_name }} has written to you about {{ student_name }}'s "
            "attendance: {{ letter_title }}.\n\nRead the letter: {{ letter_link }}\n\nPlease contact the "
            "attendance office to talk it through.",
        ),
        EMAIL: (
            "{{ letter_title }}",
            "Dear {{ guardian_name }},\n\n{{ school_name }} has written to you about {{ student_name }}'s "
            "attendance ({{ days_count }} school days counted this year).\n\nRead the letter (PDF): "
            "{{ letter_link }}\n\nPlease contact the attendance office so that we can work on this together."
            "\n\n{{ school_name }}",
        ),
    },
}


# The languages messages have defaults in (what a guardian may choose for their messages).
DEFAULTS_BY_LANGUAGE = {"en": DEFAULTS, "es": DEFAULTS_ES}
MESSAGE_LANGUAGES = tuple(DEFAULTS_BY_LANGUAGE)


def default_for(type, channel, language="en"):
    """(subject, body) of the default in `language`, or None."""
    return DEFAULTS_BY_LANGUAGE.get(language, {}).get(type, {}).get(channel)


def template_language(language):
    """`language` if messages are written in it, else MessagingError naming the field."""
    if language not in MESSAGE_LANGUAGES:
        names = i18n.language_names()
        choices = ", ".join(names.get(code, code) for code in MESSAGE_LANGUAGES)
        raise MessagingError(
            "Unknown language.",
            code=MessagingErrorCode.INVALID_TEMPLATE,
            fields={"language": [f"Choose one of {choices}."]},
        )
    return language


def _channels(channel, channels=None):
    if channels is not None:  # a list the caller chose (the channels a school sends by)
        return [Channel(c).value for c in channels]
    if channel is None:
        return list(Channel.values)
    if channel not in Channel.values:
        raise MessagingError(
            "Unknown channel.",
            code=MessagingErrorCode.INVALID_CHANNEL,
            fields={"channel": [f"Choose one of {', '.join(Channel.values)}."]},
        )
    return [channel]


@transaction.atomic
def seed_default_message_templates(school, channel=None, language="en", *, channels=None):
    """Create the defaults in `language` a school is missing (all channels, or `channel`, or those of
    `channels`); never touches a template the school has, edited or not. Returns how many were
    created. Safe to run again, and at once."""
    channels = _channels(channel, channels)
    defaults = DEFAULTS_BY_LANGUAGE[template_language(language)]
    have = set(
        MessageTemplate.objects.for_school(school)
        .filter(channel__in=channels, language=language)
        .values_list("type", "channel")
    )
    missing = [
        MessageTemplate(
            school=school,
            type=type,
            channel=ch,
            language=language,
            subject=by_channel[ch][0],
            body=by_channel[ch][1],
        )
        for type, by_channel in defaults.items()
        for ch in channels
        if (type, ch) not in have
    ]
    if not missing:
        return 0
    # A concurrent seed (the provisioning handler and the command) may insert the same rows first.
    MessageTemplate.objects.bulk_create(missing, ignore_conflicts=True)
    created = MessageTemplate.objects.for_school(school).filter(channel__in=channels, language=language).count() - len(
        have
    )
    if created:
        changes = {"created": created, "channels": channels}
        if language != "en":
            changes["language"] = language
        audit(school=school, actor=None, action="message_templates.seeded", changes=changes)
    return created


def seed_every_language(school):
    """The defaults in every language messages are written in (a newly provisioned school)."""
    return sum(seed_default_message_templates(school, language=language) for language in MESSAGE_LANGUAGES)


@transaction.atomic
def message_template_save(*, school, actor, type, channel, subject, body, is_active=True, language="en"):
    """Create or change the school's template for (type, channel, language), after checking it
    renders: an unknown variable or a broken placeholder is refused here, with field errors, and
    nothing changes."""
    subject = (subject or "").strip() if channel == Channel.EMAIL else ""
    body = (body or "").replace("\r\n", "\n").strip()
    validate(type=type, channel=channel, subject=subject, body=body)
    template_language(language)
    template = (
        MessageTemplate.objects.for_school(school)
        .select_for_update()
        .filter(type=type, channel=channel, language=language)
        .first()
    )
    new = {"subject": subject, "body": body, "is_active": bool(is_active)}
    editor = actor if getattr(actor, "is_authenticated", False) else None
    if template is None:
        template = MessageTemplate.objects.create(
            school=school, type=type, channel=channel, language=language, updated_by=editor, **new
        )
        created = {**new, "language": language} if language != "en" else new
        audit(school=school, actor=actor, action="message_template.created", target=template, changes=created)
        return template
    changes = {
        field: [getattr(template, field), value] for field, value in new.items() if getattr(template, field) != value
    }
    if not changes:
        return template
    for field, value in new.items():
        setattr(template, field, value)
    template.updated_by = editor
    template.updated_at = timezone.now()
    template.save(update_fields=[*new, "updated_by", "updated_at"])
    audit(school=school, actor=actor, action="message_template.updated", target=template, changes=changes)
    return template
