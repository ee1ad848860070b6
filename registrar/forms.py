"""The public application form and the guardian's needs-info upload form. The forms check shape
(required fields, types); the services check meaning (phones, ages, classes) and their field errors
are put back beside the inputs they concern."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from classpoint.bounds import DateFormField

from . import checklist
from .errors import RegistrarError, RegistrarErrorCode
from .models import DocumentKind

ANY_DOCUMENT = "application/pdf,image/jpeg,image/png"
IMAGE_ONLY = "image/jpeg,image/png"
GUARDIAN_FIELDS = ("first_name", "last_name", "relationship", "phone", "email")
CONSENTS = ("consent_sms", "consent_whatsapp", "consent_email")
# Where the public form puts each document kind (the needs-info form offers every kind).
FORM_DOCUMENTS = (DocumentKind.BIRTH_CERTIFICATE, DocumentKind.LAST_REPORT, DocumentKind.PHOTO)


# The family reads these in its language; the model's choices stay the staff's words.
DOCUMENT_LABELS = {
    DocumentKind.BIRTH_CERTIFICATE: _("Birth certificate"),
    DocumentKind.LAST_REPORT: _("Last school report"),
    DocumentKind.PHOTO: _("Passport photo"),
    DocumentKind.OTHER: _("Other document"),
}
GENDERS = [("female", _("Female")), ("male", _("Male"))]


def _megabytes():
    return f"{settings.APPLICATION_DOCUMENT_MAX_BYTES / (1024 * 1024):g}"


def _file_field(kind):
    accept = IMAGE_ONLY if kind == DocumentKind.PHOTO else ANY_DOCUMENT
    if kind == DocumentKind.PHOTO:
        help_text = _("JPEG or PNG, up to %(mb)s MB.") % {"mb": _megabytes()}
    else:
        help_text = _("PDF, JPEG or PNG, up to %(mb)s MB.") % {"mb": _megabytes()}
    return forms.FileField(
        label=DOCUMENT_LABELS[kind],
        required=False,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
        error_messages={"empty": _("The file is empty.")},
    )


def _file_problem(kind, upload):
    """The family's words for why `upload` cannot be kept as a `kind` document, or None. The
    registrar's own check (checklist.check_upload) decides; this only says it in the page's language
    before the service, which checks again, is asked."""
    try:
        checklist.check_upload(upload, kind=kind)
    except RegistrarError as exc:
        if exc.code == RegistrarErrorCode.FILE_TOO_LARGE:
            return _("The file is larger than %(mb)s MB; send a smaller scan or photo.") % {"mb": _megabytes()}
        if exc.code == RegistrarErrorCode.UNSUPPORTED_TYPE:
            if kind == DocumentKind.PHOTO:
                return _("The photo must be a JPEG or PNG image.")
            return _("This file must be a PDF, JPEG or PNG.")
        if exc.code == RegistrarErrorCode.EMPTY_FILE:
            return _("The file is empty.")
        return exc.message
    return None


class AccessibleForm(forms.Form):
    """Links each input to its help text and its errors (aria-describedby), so a screen reader reads
    the error with the field; the templates give each field's errors one element with that id."""

    def full_clean(self):
        super().full_clean()
        self.describe()

    def add_error(self, field, error):
        super().add_error(field, error)
        self.describe()

    def describe(self):
        errors = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            bound = self[name]
            ids = [f"{bound.auto_id}_helptext"] if field.help_text else []
            if name in errors:
                ids.append(f"{bound.auto_id}_error")
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def check_files(self, kinds):
        for kind in kinds:
            upload = (getattr(self, "cleaned_data", None) or {}).get(kind)
            if upload and kind not in self.errors and (problem := _file_problem(kind, upload)):
                self.add_error(kind, problem)

    def error_list(self):
        """(field id or "", message) for the summary at the top of the page, in form order."""
        errors = getattr(self, "_errors", None) or {}
        items = [("", message) for message in errors.get("__all__", [])]
        for name in self.fields:
            for message in errors.get(name, []):
                items.append((self[name].auto_id, message))  # radio groups carry the id on their fieldset
        return items


BAD_EMAIL = _("Enter a valid email address, e.g. ada@example.com.")
# Whole sentences per guardian, so each language can word them its own way.
REQUIRED = {
    "g1_first_name": _("Enter the guardian's first name."),
    "g1_last_name": _("Enter the guardian's surname."),
    "g2_first_name": _("Enter the second guardian's first name, or leave their part empty."),
    "g2_last_name": _("Enter the second guardian's surname, or leave their part empty."),
}


# Django fills in the limit (the max_length validator's own parameter) when the error is shown.
TOO_LONG = _("Keep this under %(limit_value)d characters.")


def _guardian_fields(prefix, required):
    return {
        f"{prefix}_first_name": forms.CharField(
            label=_("First name"),
            max_length=80,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
            error_messages={"required": REQUIRED[f"{prefix}_first_name"], "max_length": TOO_LONG},
        ),
        f"{prefix}_last_name": forms.CharField(
            label=_("Surname"),
            max_length=80,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
            error_messages={"required": REQUIRED[f"{prefix}_last_name"], "max_length": TOO_LONG},
        ),
        f"{prefix}_relationship": forms.CharField(
            label=_("Relationship to the child"),
            max_length=40,
            required=False,
            help_text=_("For example: mother, father, aunt."),
            error_messages={"max_length": TOO_LONG},
        ),
        f"{prefix}_phone": forms.CharField(
            label=_("Phone number"),
            max_length=30,
            required=False,
            help_text=_("With the country code if outside Nigeria, e.g. +447700900123."),
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            error_messages={"max_length": TOO_LONG},
        ),
        f"{prefix}_email": forms.EmailField(
            label=_("Email address"),
            max_length=254,
            required=False,
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            error_messages={"invalid": BAD_EMAIL, "max_length": TOO_LONG},
        ),
        f"{prefix}_consent_sms": forms.BooleanField(label=_("Text messages (SMS)"), required=False),
        f"{prefix}_consent_whatsapp": forms.BooleanField(label=_("WhatsApp"), required=False),
        f"{prefix}_consent_email": forms.BooleanField(label=_("Email"), required=False),
    }


class ApplicationForm(AccessibleForm):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=80,
        error_messages={"required": _("Enter the child's first name."), "max_length": TOO_LONG},
    )
    other_names = forms.CharField(
        label=_("Other names"),
        max_length=120,
        required=False,
        error_messages={"max_length": TOO_LONG},
    )
    last_name = forms.CharField(
        label=_("Surname"),
        max_length=80,
        error_messages={"required": _("Enter the child's surname."), "max_length": TOO_LONG},
    )
    date_of_birth = DateFormField(
        label=_("Date of birth"),
        help_text=_("For example: 2014-03-21."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the child's date of birth."),
            "invalid": _("Enter the date like 2014-03-21."),
            "out_of_range": _("Check the year of birth."),
        },
    )
    gender = forms.ChoiceField(
        label=_("Sex"),
        choices=GENDERS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the child's sex."), "invalid_choice": _("Choose female or male.")},
    )
    class_level = forms.ChoiceField(
        label=_("Class applied for"),
        error_messages={
            "required": _("Choose the class applied for."),
            "invalid_choice": _("Choose one of the classes in the list."),
        },
    )
    previous_school = forms.CharField(
        label=_("Current or last school"),
        max_length=200,
        required=False,
        error_messages={"max_length": TOO_LONG},
    )
    notes = forms.CharField(
        label=_("Anything the school should know"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": TOO_LONG},
    )
    # A field people never see: only a bot filling in every input sets it.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, levels=(), channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_level"].choices = [("", _("Choose a class…")), *((level, level) for level in levels)]
        self.fields.update(_guardian_fields("g1", required=True))
        self.fields.update(_guardian_fields("g2", required=False))
        # A channel the school does not send by (its switch is off) is not offered.
        if channels is not None:
            for prefix in ("g1", "g2"):
                for consent in CONSENTS:
                    if consent.removeprefix("consent_") not in channels:
                        del self.fields[f"{prefix}_{consent}"]
        for kind in FORM_DOCUMENTS:
            self.fields[kind] = _file_field(kind)

    @property
    def is_bot(self):
        return bool(self.data.get("website", "").strip())

    def has_second_guardian(self):
        return any(str(self.data.get(f"g2_{name}", "")).strip() for name in GUARDIAN_FIELDS)

    def clean(self):
        data = super().clean()
        if self.has_second_guardian():
            for name in ("g2_first_name", "g2_last_name"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, REQUIRED[name])
        self.check_files(FORM_DOCUMENTS)
        return data

    # What the service takes.

    def applicant(self):
        d = self.cleaned_data
        keys = (
            "first_name",
            "other_names",
            "last_name",
            "date_of_birth",
            "gender",
            "class_level",
            "previous_school",
            "notes",
        )
        return {key: d[key] for key in keys}

    def guardians(self):
        prefixes = ["g1", "g2"] if self.has_second_guardian() else ["g1"]
        d = self.cleaned_data
        return [
            {**{name: d[f"{p}_{name}"] for name in GUARDIAN_FIELDS}, **{c: d.get(f"{p}_{c}", False) for c in CONSENTS}}
            for p in prefixes
        ]

    def documents(self):
        return [(kind, self.cleaned_data.get(kind)) for kind in FORM_DOCUMENTS if self.cleaned_data.get(kind)]


def form_field_name(field):
    """The form input a service's field name points at (`guardians.1.phone` -> `g2_phone`), for
    `apply_domain_error(..., rename=form_field_name)`."""
    parts = field.split(".")
    if parts[0] == "applicant" and len(parts) == 2:
        return parts[1]
    if parts[0] == "guardians" and len(parts) == 3 and parts[1] in ("0", "1"):
        return f"g{int(parts[1]) + 1}_{parts[2]}"
    if parts[0] == "guardians":
        return "g1_first_name"
    if parts[0] == "documents" and len(parts) == 2:
        return parts[1]
    return field


class MoreDocumentsForm(AccessibleForm):
    """The guardian's upload after a needs-info request: any of the document kinds, at least one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in DocumentKind.values:
            self.fields[kind] = _file_field(kind)

    def clean(self):
        data = super().clean()
        if not any(data.get(kind) for kind in DocumentKind.values) and not self.errors:
            raise forms.ValidationError(_("Choose at least one file to send."))
        self.check_files(DocumentKind.values)
        return data

    def documents(self):
        return [(kind, self.cleaned_data.get(kind)) for kind in DocumentKind.values if self.cleaned_data.get(kind)]
