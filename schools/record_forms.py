"""The forms of a pupil's record and of a guardian's page. Each checks what a form can (required,
lengths, dates in range); the services check the rest (a full class, a date before the pupil's
enrolment began, a phone number that is none) and their errors land beside the same fields."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classpoint.bounds import DateFormField, id_form_field

from .models import Guardian, Student

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80)
    other_names = forms.CharField(label=_("Other names"), max_length=120, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    date_of_birth = DateFormField(label=_("Date of birth"), required=False, widget=DATE)
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", _("Not given")), *Student.Gender.choices]
    )
    admission_number = forms.CharField(label=_("Admission number"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].help_text = _("A change of name keeps the old one in the pupil's history.")

    def clean(self):
        data = super().clean()
        for name in ("first_name", "other_names", "last_name", "admission_number"):
            if isinstance(data.get(name), str):
                data[name] = " ".join(data[name].split())
        return data


def language_choices():
    return [("", gettext("The school's language")), *settings.LANGUAGES]


class GuardianForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    relationship = forms.CharField(label=_("Relationship to the pupil"), max_length=40, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False, help_text=_("For example 0803 123 4567."))
    email = forms.EmailField(label=_("Email"), required=False)
    preferred_channel = forms.ChoiceField(label=_("Prefers to be reached by"), choices=Guardian.Channel.choices)
    preferred_language = forms.ChoiceField(label=_("Language of messages"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].choices = language_choices()

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("phone") or "").strip() and not data.get("email"):
            self.add_error("phone", _("Give a phone number or an email address."))
        return data


class NewGuardianForm(GuardianForm):
    is_primary = forms.BooleanField(label=_("Make them the primary contact"), required=False)


class LinkGuardianForm(forms.Form):
    guardian = id_form_field(label=_("Guardian"), widget=forms.HiddenInput)
    is_primary = forms.BooleanField(label=_("Make them the primary contact"), required=False)


class PrimaryGuardianForm(forms.Form):
    guardian = id_form_field(label=_("Guardian"), widget=forms.HiddenInput)


def _class_choices(groups, exclude=None):
    taken = gettext("%(name)s (%(enrolled)s of %(capacity)s places taken)")
    return [("", gettext("Choose a class"))] + [
        (str(group.pk), taken % {"name": group.name, "enrolled": group.enrolled, "capacity": group.capacity})
        for group in groups
        if group.pk != exclude
    ]


# The enrolment tab holds several of these forms at once: each view gives its own `prefix` ("move",
# "withdraw", "readmit"), so their inputs' names and ids never meet.


class MoveForm(forms.Form):
    class_group = forms.ChoiceField(label=_("Move to class"), choices=())
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=200,
        required=False,
        help_text=_("Kept with the enrolment history; “Moved to …” when left blank."),
    )

    def __init__(self, *args, groups, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_group"].choices = _class_choices(groups, exclude=current)


class WithdrawForm(forms.Form):
    left_on = DateFormField(
        label=_("Left on"), widget=DATE, help_text=_("The pupil's first day away: today or earlier.")
    )
    reason = forms.CharField(
        label=_("Reason for leaving"), max_length=200, help_text=_("For example “Relocated to Abuja”.")
    )


class ReadmitForm(forms.Form):
    class_group = forms.ChoiceField(label=_("Class this term"), choices=())

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_group"].choices = _class_choices(groups)
