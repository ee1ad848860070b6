"""Sandboxed rendering of message templates.

A template is plain text with `{{ variable }}` placeholders and nothing else: no tags, no filters,
no attribute lookups. We use our own small renderer rather than a `django.template.Engine` because
(1) messages are plain text (SMS, WhatsApp, text email) and must not be HTML-escaped, (2) the values
arrive ready to show (links, names; amounts and dates formatted below), so templates need no logic,
and (3) with nothing but names there is nothing to reach: no `{% load %}`, `{% include %}`,
`{% debug %}` or method calls on the values, and every placeholder can be checked against the type's
documented variables when the template is saved, not when a message is sent. A Django engine
stripped of its default builtins would still resolve `{{ value.method }}` on the context and would
need auto-escaping switched off; this is smaller to audit.

A value is a ready string (a name, a number, a link) or, for money and dates, a typed value that
messaging formats in the message's language, so each family reads them as their language writes them
(the caller renders inside `translation.override(language)` and the school's time zone):
`{"money": [4500000, "NGN"]}`, `{"date": "2026-09-30"}` or `{"datetime": "2026-09-12T09:15:00+00:00"}`,
each with an optional Django `"format"` ("DATE_FORMAT" / "DATETIME_FORMAT" by default), or
"WEEKDAY_MONTH_DAY" for a day this week or next (Saturday 5 December; sábado 5 de diciembre); or a
phrase the caller wrote in each language, `{"text": {"en": "was absent", "es": "faltó"}}` (the
message's language, else English).

An empty value does not leave its label dangling: see messaging/placeholders.py for the rule.
"""

import datetime
import unicodedata

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from classpoint.money import format_money

from .errors import MessagingError, MessagingErrorCode
from .models import Channel, TemplateType
from .placeholders import NAME as _NAME
from .placeholders import PLACEHOLDER as _PLACEHOLDER
from .placeholders import fill

T = TemplateType

# Every type also gets these (messaging fills school_name when the request did not).
COMMON = {
    "school_name": "The school's name",
    "guardian_name": "The guardian the message goes to",
    "preferences_link": "The guardian's own link to choose which messages they receive",
}

VARIABLES = {
    T.PAYMENT_RECEIPT: {
        "student_name": "The pupil the payment was for",
        "amount": "Amount paid, formatted (₦45,000.00)",
        "balance": "What is still owed after this payment, formatted",
        "receipt_number": "The receipt's number",
        "invoice_number": "The invoice the payment went to",
        "paid_at": "When the payment was confirmed, in school time (12 Sep 2026, 10:15 a.m.)",
    },
    T.INVOICE_ISSUED: {
        "student_name": "The pupil billed",
        "invoice_number": "The invoice's number",
        "amount_due": "Amount due, formatted",
        "due_date": "When payment is due",
        "term_name": "The term billed (First term 2026/2027)",
        "pay_link": "The guardian's secure link to view and pay",
    },
    T.OVERDUE_NOTICE: {
        "total": "What the family owes on overdue invoices in all, formatted",
        "students": "The children with overdue fees (Ada and Tunde Okafor)",
        "invoice_count": "How many invoices are overdue",
        "invoice_summary": "Each overdue invoice with its pupil and balance",
        "date": "The day of the reminder",
        "pay_link": "The guardian's secure link to view and pay",
    },
    T.PAYMENT_PROOF_REJECTED: {
        "student_name": "The pupil the transfer was for",
        "invoice_number": "The invoice the transfer was for",
        "amount": "Amount on the proof, formatted",
        "paid_on": "The transfer date given",
        "bank_reference": "The bank reference given",
        "reason": "Why the bursary could not confirm it",
    },
    T.RESULT_READY: {
        "student_name": "The pupil",
        "class_name": "The pupil's class",
        "term_name": "The term of the results",
        "result_link": "Where to view the report card",
    },
    T.RESULT_UPDATED: {
        "student_name": "The pupil",
        "class_name": "The pupil's class",
        "term_name": "The term of the results",
        "result_link": "Where to view the updated report card",
    },
    T.RESULT_WITHHELD: {
        "student_name": "The pupil",
        "class_name": "The pupil's class",
        "term_name": "The term of the results",
        "amount_owed": "What the family owes now, formatted (₦140,500.00)",
        "pay_link": "Where the guardian pays (empty when the school takes no online payments)",
        "school_phone": "The school's phone number, if it has one",
    },
    T.ANNOUNCEMENT: {
        "title": "The announcement's title",
        "message": "The announcement's text",
    },
    T.APPLICATION_RECEIVED: {
        "applicant_name": "The child applying",
        "reference": "The application's reference",
        "class_name": "The class applied for",
        "status_link": "Where to follow the application",
    },
    T.APPLICATION_NEEDS_INFO: {
        "applicant_name": "The child applying",
        "reference": "The application's reference",
        "note": "What the school needs",
        "status_link": "Where to update the application",
    },
    T.APPLICATION_APPROVED: {
        "applicant_name": "The child admitted",
        "reference": "The application's reference",
        "class_name": "The class offered",
        "status_link": "Where to see the next steps",
    },
    T.WELCOME: {
        "student_name": "The pupil",
        "class_name": "The pupil's class",
    },
    T.ABSENCE_ALERT: {
        "student_name": "The pupil",
        "class_name": "The pupil's class",
        "date": "The day of the absence (Saturday 5 December)",
        "absence": "What happened (was absent from school today, arrived 40 minutes late)",
        "lesson": "The lesson, when it was a lesson's register (Mathematics, 09:00); else empty",
        "school_phone": "The school's phone number, if it has one",
    },
    T.ABSENCE_WITHDRAWN: {
        "student_name": "The pupil",
        "class_name": "The pupil's class",
        "date": "The day the alert was about (Saturday 5 December)",
        "school_phone": "The school's phone number, if it has one",
    },
    T.TRUANCY_LETTER: {
        "student_name": "The pupil",
        "letter_title": "The letter's subject (Notification of truancy: Adaeze Okafor)",
        "days_count": "How many school days the letter counts",
        "letter_link": "The family's link to the letter (a PDF; it expires after 180 days)",
    },
}
VARIABLES = {t: {**COMMON, **v} for t, v in VARIABLES.items()}

# What the editor previews with: realistic values, as long as real ones tend to be.
SAMPLE = {
    "school_name": "Greenfield Academy",
    "guardian_name": "Mrs Ngozi Okafor",
    "preferences_link": "https://greenfield.classpoint.ng/messaging/preferences/eJyrVkrOz0nN",
    "student_name": "Adaeze Okafor",
    "applicant_name": "Chinedu Bello",
    "amount": "₦45,000.00",
    "amount_due": "₦185,500.00",
    "balance": "₦140,500.00",
    "amount_owed": "₦140,500.00",
    "total": "₦226,000.00",
    "receipt_number": "RCT-2026-00412",
    "invoice_number": "INV-2026-01187",
    "paid_at": "12 Sep 2026, 10:15 a.m.",
    "paid_on": "11 Sep 2026",
    "due_date": "30 Sep 2026",
    "date": "14 Oct 2026",
    "term_name": "First term 2026/2027",
    "class_name": "JSS 2B",
    "students": "Adaeze and Tunde Okafor",
    "invoice_count": "2",
    "letter_title": "Notification of truancy: Adaeze Okafor",
    "days_count": "3",
    "letter_link": "https://greenfield.classpoint.ng/s/greenfield/attendance/letters/eJyrVkrOz0nN/",
    "invoice_summary": "INV-2026-01187 Adaeze Okafor ₦140,500.00; INV-2026-01188 Tunde Okafor ₦85,500.00",
    "pay_link": "https://greenfield.classpoint.ng/p/7Hq2xK",
    "result_link": "https://greenfield.classpoint.ng/r/Qm8ZtA",
    "status_link": "https://greenfield.classpoint.ng/a/Lw3PnR",
    "bank_reference": "FBN/TRF/0934417",
    "reason": "the amount on the slip does not match the transfer received",
    "reference": "APP-2026-0158",
    "note": "a copy of the birth certificate",
    "title": "Mid-term break",
    "message": "School closes on Friday 24 Oct and resumes on Monday 3 Nov. Have a restful break.",
    "absence": "arrived 40 minutes late",
    "lesson": "Mathematics, 09:00",
    "school_phone": "+2348031234567",
}

MAX_BODY = {Channel.SMS: 640, Channel.WHATSAPP: 1600, Channel.EMAIL: 10000}
MAX_SUBJECT = 200


# --- SMS segments ---------------------------------------------------------------------------

# GSM 03.38 default alphabet, and its extension table (each of those costs two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
# Characters with a plain spelling that keeps an SMS in GSM-7: one "₦" would otherwise make the
# whole message UCS-2 (70 characters a segment instead of 160) and double or triple its cost.
_SMS_PLAIN = {
    "₦": "NGN",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "…": "...",
    "\u00a0": " ",
    "\u202f": " ",  # the narrow no-break space some languages group digits with
}


def is_gsm7(text):
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text)


def _plain_letter(ch):
    if ch in _GSM_BASIC or ch in _GSM_EXTENDED:
        return ch
    if ch in _SMS_PLAIN:
        return _SMS_PLAIN[ch]
    if unicodedata.combining(ch):  # a tone mark or accent with no letter of its own (Yoruba ọ̀)
        return ""
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base if base and is_gsm7(base) else ch


def sms_plain(text):
    """`text` with the common non-GSM characters spelled plainly: ₦ -> NGN, curly quotes, dashes,
    and a letter whose accent GSM-7 lacks as its plain letter (Spanish á í ó ú, Yoruba ẹ ọ ṣ and
    tone marks), as phones in Nigeria write them: one such letter would otherwise make the whole
    message UCS-2. Letters GSM-7 has (é ñ ü) keep their accents."""
    return "".join(_plain_letter(ch) for ch in unicodedata.normalize("NFC", text))


def _pack(units, single, multi):
    """How many segments `units` (the cost of each character, which is never split) need."""
    total = sum(units)
    if total <= single:
        return 1 if units else 0
    segments, used = 1, 0
    for unit in units:
        if used + unit > multi:
            segments, used = segments + 1, 0
        used += unit
    return segments


def sms_encoding(text):
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def sms_segments(text):
    """Segments an SMS of `text` takes: GSM-7 fits 160 septets in one, 153 a part when split
    (extension characters such as € take two and stay together); anything else goes as UCS-2,
    70 UTF-16 units in one, 67 a part (an emoji's surrogate pair stays together). Empty: 0."""
    if is_gsm7(text):
        return _pack([2 if ch in _GSM_EXTENDED else 1 for ch in text], 160, 153)
    return _pack([2 if ord(ch) > 0xFFFF else 1 for ch in text], 70, 67)


# --- Validation -----------------------------------------------------------------------------


def _type_label(type):
    return TemplateType(type).label if type in TemplateType.values else type


def template_errors(text, *, type):
    """Every problem with the placeholders of `text` for a template of `type` (messages for a form)."""
    allowed = VARIABLES.get(type, COMMON)
    errors = []
    if "{%" in text or "%}" in text:
        errors.append("Tags such as {% … %} are not allowed: use only {{ variable }} placeholders.")
    unknown = []
    for match in _PLACEHOLDER.finditer(text):
        inner = match.group(1).strip()
        if not inner:
            errors.append("An empty {{ }} placeholder: put a variable name inside it.")
        elif "|" in inner:
            errors.append(f"“{{{{ {inner} }}}}”: filters are not allowed; the values arrive ready to show.")
        elif "{" in inner:
            errors.append(f"“{match.group(0)}”: a placeholder inside a placeholder; close each {{{{ with }}}}.")
        elif not _NAME.match(inner):
            unknown.append(inner)
        elif inner not in allowed:
            unknown.append(inner)
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest:
        errors.append("A {{ without its closing }}.")
    if "}}" in rest:
        errors.append("A }} without its opening {{.")
    for name in dict.fromkeys(unknown):
        errors.append(f"Unknown variable “{name}” for {_type_label(type)}. Available: {', '.join(sorted(allowed))}.")
    return errors


def validate(*, type, channel, subject, body):
    """Raise MessagingError with field errors (type, channel, subject, body) unless the template
    would render: checked when a template is saved so a bad one never reaches a guardian."""
    errors = {}
    if type not in TemplateType.values:
        errors["type"] = ["Choose a message type."]
    if channel not in Channel.values:
        errors["channel"] = ["Choose SMS, WhatsApp or email."]
    if errors:
        raise MessagingError("Check the template.", code=MessagingErrorCode.INVALID_TEMPLATE, fields=errors)
    subject, body = subject or "", body or ""
    if channel == Channel.EMAIL:
        if not subject.strip():
            errors["subject"] = ["An email needs a subject."]
        elif "\n" in subject or "\r" in subject:
            errors["subject"] = ["Keep the subject on one line."]
        elif len(subject) > MAX_SUBJECT:
            errors["subject"] = [f"Keep the subject under {MAX_SUBJECT} characters."]
        if subject and "subject" not in errors:
            if problems := template_errors(subject, type=type):
                errors["subject"] = problems
    elif subject.strip():
        errors["subject"] = ["Only email messages have a subject."]
    if not body.strip():
        errors["body"] = ["Write the message."]
    elif len(body) > MAX_BODY[channel]:
        errors["body"] = [f"Keep the message under {MAX_BODY[channel]} characters (it has {len(body)})."]
    elif problems := template_errors(body, type=type):
        errors["body"] = problems
    if errors:
        raise MessagingError("Check the template.", code=MessagingErrorCode.INVALID_TEMPLATE, fields=errors)


# --- Rendering ------------------------------------------------------------------------------


def _derived(type, context):
    """Values computed from a request's structured context (the overdue reminder carries a list of
    invoices; templates only see names)."""
    extra = {}
    invoices = context.get("invoices")
    if type == T.OVERDUE_NOTICE and isinstance(invoices, list):
        rows = [i for i in invoices if isinstance(i, dict)]
        names = list(dict.fromkeys(str(i.get("student", "")).strip() for i in rows if i.get("student")))
        extra["invoice_count"] = str(len(rows))
        extra["students"] = (
            _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
            if len(names) > 1
            else "".join(names)
        )
        extra["invoice_summary"] = "; ".join(
            " ".join(text for p in (i.get("invoice_number"), i.get("student"), i.get("balance")) if (text := _shown(p)))
            for i in rows
        )
    return extra


def _when(text, kind):
    try:
        moment = datetime.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if kind == "date":
        return moment.date()
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _date_format(name):
    # A weekday and a day of the month in the language's own order: "l" and its MONTH_DAY_FORMAT.
    if name == "WEEKDAY_MONTH_DAY":
        return "l " + formats.get_format("MONTH_DAY_FORMAT")
    return name


def format_value(value):
    """A context value as the message shows it: a string as it came, a typed value (money, a date,
    a moment) formatted in the active language; anything else as text."""
    if not isinstance(value, dict):
        return str(value)
    if isinstance(value.get("text"), dict):
        phrases, language = value["text"], translation.get_language() or "en"
        return str(phrases.get(language) or phrases.get(language.split("-")[0]) or phrases.get("en") or "")
    if isinstance(value.get("money"), list | tuple) and len(value["money"]) == 2:
        amount, currency = value["money"]
        if isinstance(amount, int) and isinstance(currency, str):
            return format_money(amount, currency)
    for kind, default in (("date", "DATE_FORMAT"), ("datetime", "DATETIME_FORMAT")):
        if kind in value and (moment := _when(value[kind], kind)) is not None:
            return formats.date_format(moment, _date_format(str(value.get("format") or default)))
    return ""


def _shown(value):
    return "" if value is None else format_value(value)


def render_text(*, type, channel, subject, body, context):
    """(subject, body) with each documented variable of `type` replaced by its value in `context`
    (a missing one renders empty, and a sentence of the body whose values are all empty is left
    out). Nothing outside the type's variables can be reached."""
    allowed = VARIABLES.get(type, COMMON)
    merged = {**_derived(type, context), **{k: v for k, v in context.items() if v is not None}}
    values = {name: format_value(merged[name]) for name in allowed if name in merged}
    subject = fill(subject or "", values) if channel == Channel.EMAIL else ""
    body = fill(body or "", values, leave_out_empty=True)
    if channel == Channel.SMS:
        body = sms_plain(body)
    return " ".join(subject.split()), body.strip()


def render(*, template, context):
    """(subject, body) of `template` (a MessageTemplate) for `context` (the request's plain values)."""
    context = dict(context or {})
    if not context.get("school_name") and getattr(template, "school_id", None):
        context["school_name"] = template.school.name
    return render_text(
        type=template.type, channel=template.channel, subject=template.subject, body=template.body, context=context
    )


def preview(*, type, channel, subject, body, school_name=None):
    """What the editor shows: the text on sample data, its SMS segments, or the errors."""
    context = {**SAMPLE, **({"school_name": school_name} if school_name else {})}
    rendered_subject, rendered_body = render_text(
        type=type, channel=channel, subject=subject, body=body, context=context
    )
    result = {"subject": rendered_subject, "body": rendered_body, "length": len(rendered_body)}
    if channel == Channel.SMS:
        result["segments"] = sms_segments(rendered_body)
        result["encoding"] = sms_encoding(rendered_body)
        result["per_segment"] = (
            (160 if result["encoding"] == "GSM-7" else 70)
            if result["segments"] <= 1
            else (153 if result["encoding"] == "GSM-7" else 67)
        )
    return result
