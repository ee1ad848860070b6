from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Weekday
from .services import MAX_SLOT_CAPACITY


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class SlotForm(forms.Form):
    """A lesson in the timetable. Choices come from the school only, so another school's term, class
    or teacher is "not a valid choice" here before the service ever sees it."""

    term = forms.ModelChoiceField(label=_("Term"), queryset=None, empty_label=None)
    class_group = forms.ModelChoiceField(label=_("Class group"), queryset=None, empty_label=None)
    subject = forms.CharField(label=_("Subject"), max_length=80)
    teacher = forms.ModelChoiceField(label=_("Teacher"), queryset=None, required=False, empty_label=_("No teacher yet"))
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("Starts"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends"), widget=TimeInput())
    room = forms.CharField(
        label=_("Room"), max_length=40, required=False, help_text=_("Leave empty if the class stays put.")
    )
    capacity = forms.IntegerField(
        label=_("Seats"),
        required=False,
        min_value=1,
        max_value=MAX_SLOT_CAPACITY,
        help_text=_("Leave empty to use the class group's capacity."),
    )

    def __init__(self, *args, school, slot=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = school.terms.select_related("session")
        self.fields["class_group"].queryset = school.class_groups
        teachers = Q(is_teacher=True)
        if slot is not None and slot.teacher_id:
            teachers |= Q(pk=slot.teacher_id)
        self.fields["teacher"].queryset = school.staff.filter(teachers)
        self.fields["capacity"].widget.attrs["inputmode"] = "numeric"
