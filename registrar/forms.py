"""The public application form and the guardian's needs-info upload form. The forms check shape
(required fields, types); the services check meaning (phones, ages, classes) and their field errors
are put back beside the inputs they concern."""

from django import forms
from django.conf import settings

from classpoint.bounds import DateFormField

from .models import Application, DocumentKind

ANY_DOCUMENT = "application/pdf,image/jpeg,image/png"
IMAGE_ONLY = "image/jpeg,image/png"
GUARDIAN_FIELDS = ("first_name", "last_name", "relationship", "phone", "email")
CONSENTS = ("consent_sms", "consent_whatsapp", "consent_email")
# Where the public form puts each document kind (the needs-info form offers every kind).
FORM_DOCUMENTS = (DocumentKind.BIRTH_CERTIFICATE, DocumentKind.LAST_REPORT, DocumentKind.PHOTO)


def _megabytes():
    return f"{settings.APPLICATION_DOCUMENT_MAX_BYTES / (1024 * 1024):g}"


def _file_field(kind, label):
    accept = IMAGE_ONLY if kind == DocumentKind.PHOTO else ANY_DOCUMENT
    kinds = "JPEG or PNG" if kind == DocumentKind.PHOTO else "PDF, JPEG or PNG"
    return forms.FileField(
        label=label,
        required=False,
        help_text=f"{kinds}, up to {_megabytes()} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
    )


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

    def error_list(self):
        """(field id or "", message) for the summary at the top of the page, in form order."""
        errors = getattr(self, "_errors", None) or {}
        items = [("", message) for message in errors.get("__all__", [])]
        for name in self.fields:
            for message in errors.get(name, []):
                items.append((self[name].auto_id, message))  # radio groups carry the id on their fieldset
        return items


BAD_EMAIL = "Enter a valid email address, e.g. ada@example.com."


def _required(what):
    return {"required": f"Enter {what}."}


def _guardian_fields(prefix, required):
    who = "guardian" if prefix == "g1" else "second guardian"
    return {
        f"{prefix}_first_name": forms.CharField(
            label="First name",
            max_length=80,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
            error_messages=_required(f"the {who}'s first name"),
        ),
        f"{prefix}_last_name": forms.CharField(
            label="Surname",
            max_length=80,
            required=required,
            widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
            error_messages=_required(f"the {who}'s surname"),
        ),
        f"{prefix}_relationship": forms.CharField(
            label="Relationship to the child",
            max_length=40,
            required=False,
            help_text="For example: mother, father, aunt.",
        ),
        f"{prefix}_phone": forms.CharField(
            label="Phone number",
            max_length=30,
            required=False,
            help_text="With the country code if outside Nigeria, e.g. +447700900123.",
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        ),
        f"{prefix}_email": forms.EmailField(
            label="Email address",
            max_length=254,
            required=False,
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            error_messages={"invalid": BAD_EMAIL},
        ),
        f"{prefix}_consent_sms": forms.BooleanField(label="Text messages (SMS)", required=False),
        f"{prefix}_consent_whatsapp": forms.BooleanField(label="WhatsApp", required=False),
        f"{prefix}_consent_email": forms.BooleanField(label="Email", required=False),
    }


class ApplicationForm(AccessibleForm):
    first_name = forms.CharField(label="First name", max_length=80, error_messages=_required("the child's first name"))
    other_names = forms.CharField(label="Other names", max_length=120, required=False)
    last_name = forms.CharField(label="Surname", max_length=80, error_messages=_required("the child's surname"))
    date_of_birth = DateFormField(
        label="Date of birth",
        help_text="For example: 2014-03-21.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={**_required("the child's date of birth"), "invalid": "Enter the date like 2014-03-21."},
    )
    gender = forms.ChoiceField(
        label="Sex",
        choices=Application.Gender.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the child's sex."},
    )
    class_level = forms.ChoiceField(
        label="Class applied for", error_messages={"required": "Choose the class applied for."}
    )
    previous_school = forms.CharField(label="Current or last school", max_length=200, required=False)
    notes = forms.CharField(
        label="Anything the school should know",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A field people never see: only a bot filling in every input sets it.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_level"].choices = [("", "Choose a class…"), *((level, level) for level in levels)]
        self.fields.update(_guardian_fields("g1", required=True))
        self.fields.update(_guardian_fields("g2", required=False))
        self.fields["birth_certificate"] = _file_field(DocumentKind.BIRTH_CERTIFICATE, "Birth certificate")
        self.fields["last_report"] = _file_field(DocumentKind.LAST_REPORT, "Last school report")
        self.fields["photo"] = _file_field(DocumentKind.PHOTO, "Passport photo")

    @property
    def is_bot(self):
        return bool(self.data.get("website", "").strip())

    def has_second_guardian(self):
        return any(str(self.data.get(f"g2_{name}", "")).strip() for name in GUARDIAN_FIELDS)

    def clean(self):
        data = super().clean()
        if self.has_second_guardian():
            for name, label in (("first_name", "first name"), ("last_name", "surname")):
                if not data.get(f"g2_{name}") and f"g2_{name}" not in self.errors:
                    self.add_error(f"g2_{name}", f"Enter the second guardian's {label}, or leave their part empty.")
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
        return [{name: d[f"{p}_{name}"] for name in (*GUARDIAN_FIELDS, *CONSENTS)} for p in prefixes]

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
        for kind, label in DocumentKind.choices:
            self.fields[kind] = _file_field(kind, label)

    def clean(self):
        data = super().clean()
        if not any(data.get(kind) for kind in DocumentKind.values) and not self.errors:
            raise forms.ValidationError("Choose at least one file to send.")
        return data

    def documents(self):
        return [(kind, self.cleaned_data.get(kind)) for kind in DocumentKind.values if self.cleaned_data.get(kind)]
