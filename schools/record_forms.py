"""The forms of a pupil's record and of a guardian's page. Each checks what a form can (required,
lengths, dates in range); the services check the rest (a full class, a date before the pupil's
enrolment began, a phone number that is none) and their errors land beside the same fields."""

from django import forms
from django.conf import settings

from classpoint.bounds import DateFormField, id_form_field

from .models import Guardian, Student

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=80)
    other_names = forms.CharField(label="Other names", max_length=120, required=False)
    last_name = forms.CharField(label="Last name", max_length=80)
    date_of_birth = DateFormField(label="Date of birth", required=False, widget=DATE)
    gender = forms.ChoiceField(label="Gender", required=False, choices=[("", "Not given"), *Student.Gender.choices])
    admission_number = forms.CharField(label="Admission number", max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].help_text = "A change of name keeps the old one in the pupil's history."

    def clean(self):
        data = super().clean()
        for name in ("first_name", "other_names", "last_name", "admission_number"):
            if isinstance(data.get(name), str):
                data[name] = " ".join(data[name].split())
        return data


def language_choices():
    return [("", "The school's language"), *settings.LANGUAGES]


class GuardianForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=80)
    last_name = forms.CharField(label="Last name", max_length=80)
    relationship = forms.CharField(label="Relationship to the pupil", max_length=40, required=False)
    phone = forms.CharField(label="Phone", max_length=30, required=False, help_text="For example 0803 123 4567.")
    email = forms.EmailField(label="Email", required=False)
    preferred_channel = forms.ChoiceField(label="Prefers to be reached by", choices=Guardian.Channel.choices)
    preferred_language = forms.ChoiceField(label="Language of messages", required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].choices = language_choices()

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("phone") or "").strip() and not data.get("email"):
            self.add_error("phone", "Give a phone number or an email address.")
        return data


class NewGuardianForm(GuardianForm):
    is_primary = forms.BooleanField(label="Make them the primary contact", required=False)


class LinkGuardianForm(forms.Form):
    guardian = id_form_field(label="Guardian", widget=forms.HiddenInput)
    is_primary = forms.BooleanField(label="Make them the primary contact", required=False)


class PrimaryGuardianForm(forms.Form):
    guardian = id_form_field(label="Guardian", widget=forms.HiddenInput)


def _class_choices(groups, exclude=None):
    return [("", "Choose a class")] + [
        (str(group.pk), f"{group.name} ({group.enrolled} of {group.capacity} places taken)")
        for group in groups
        if group.pk != exclude
    ]


# The enrolment tab holds several of these forms at once: each view gives its own `prefix` ("move",
# "withdraw", "readmit"), so their inputs' names and ids never meet.


class MoveForm(forms.Form):
    class_group = forms.ChoiceField(label="Move to class", choices=())
    reason = forms.CharField(
        label="Why (optional)",
        max_length=200,
        required=False,
        help_text="Kept with the enrolment history; “Moved to …” when left blank.",
    )

    def __init__(self, *args, groups, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_group"].choices = _class_choices(groups, exclude=current)


class WithdrawForm(forms.Form):
    left_on = DateFormField(label="Left on", widget=DATE, help_text="The pupil's first day away: today or earlier.")
    reason = forms.CharField(label="Reason for leaving", max_length=200, help_text="For example “Relocated to Abuja”.")


class ReadmitForm(forms.Form):
    class_group = forms.ChoiceField(label="Class this term", choices=())

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_group"].choices = _class_choices(groups)
