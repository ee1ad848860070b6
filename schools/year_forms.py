"""The forms of the school-year pages (sessions, terms, class groups). They check what the API's
serializers check (lengths, dates, a capacity of 1 to 500, a form teacher of this school's staff);
the services check the rest (names unique, dates in order) and their errors land on these fields."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classpoint.bounds import DateFormField

from .rollover_levels import level_key


def date_field(label, **kwargs):
    return DateFormField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class _Dates(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", _("The end date must be after the start date."))
        return data


class SessionForm(_Dates):
    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("For example 2027/2028."))
    start_date = date_field(_("First day"))
    end_date = date_field(_("Last day"))


class TermForm(_Dates):
    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("For example First term."))
    start_date = date_field(_("First day"))
    end_date = date_field(_("Last day"))


class ClassGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("For example JSS 1A."))
    level = forms.CharField(
        label=_("Level"),
        max_length=40,
        help_text=_("Classes of one level take the same subjects and move up together: JSS 1, Primary 4."),
        widget=forms.TextInput(attrs={"list": "levels", "autocomplete": "off"}),
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500, initial=40)
    form_teacher = forms.ChoiceField(label=_("Form teacher"), required=False)

    def __init__(self, data=None, *, staff, **kwargs):
        super().__init__(data, **kwargs)
        self.staff = {str(person.pk): person for person in staff}
        titled = gettext("%(person)s (%(title)s)")
        self.fields["form_teacher"].choices = [("", gettext("No form teacher"))] + [
            (pk, titled % {"person": person, "title": person.title} if person.title else str(person))
            for pk, person in self.staff.items()
        ]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_level(self):
        return " ".join(self.cleaned_data["level"].split())

    def clean_form_teacher(self):
        return self.staff.get(self.cleaned_data["form_teacher"])


def levels_in_order(levels):
    return sorted(set(levels), key=level_key)
