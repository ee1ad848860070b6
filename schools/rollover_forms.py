"""The rollover page's form: the new session and its terms, where each class goes, and what each
pupil does (moves with the class, repeats, or leaves with a reason). Its fields are made from the
roll, so a posted id that is not on it is never read; the planner checks the rest, and its errors
(`terms.0.name`, `pupil.42`) are put back on the inputs they came from."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classpoint.bounds import DateFormField, parse_id

from .rollover_levels import GRADUATE, level_key
from .rollover_plan import MAX_REASON, MAX_TERMS, Plan, TermPlan

MOVES, REPEATS, LEAVES = "", "repeat", "leave"
PUPIL_CHOICES = [
    (MOVES, _("Moves on with the class")),
    (REPEATS, _("Repeats the year")),
    (LEAVES, _("Leaves the school")),
]
_DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
_TERM_CELLS = {"name": "name", "start_date": "start", "end_date": "end"}


class RolloverForm(forms.Form):
    name = forms.CharField(label=_("Name of the new session"), max_length=40)
    start_date = DateFormField(label=_("First day"), **_DATE)
    end_date = DateFormField(label=_("Last day"), **_DATE)

    def __init__(self, data=None, *, roll, groups, term_rows, plan=None):
        super().__init__(data, initial=_initial(plan, roll) if plan is not None else None)
        self.roll = roll
        self.term_rows = min(term_rows, MAX_TERMS)
        for n in range(self.term_rows):
            number = {"number": n + 1}
            self.fields[f"term-{n}-name"] = forms.CharField(
                label=gettext("Term %(number)s") % number, max_length=40, required=False
            )
            self.fields[f"term-{n}-start"] = DateFormField(
                label=gettext("Term %(number)s: first day") % number, required=False, **_DATE
            )
            self.fields[f"term-{n}-end"] = DateFormField(
                label=gettext("Term %(number)s: last day") % number, required=False, **_DATE
            )
        ordered = sorted(groups, key=lambda g: (level_key(g.level), g.name.lower()))
        targets = [("", gettext("Choose a class…")), (GRADUATE, gettext("Graduate (they leave the school)"))] + [
            (str(g.pk), str(g)) for g in ordered
        ]
        for group, enrollments in roll:
            self.fields[f"map-{group.pk}"] = forms.ChoiceField(
                label=gettext("Where %(group)s's pupils go") % {"group": group}, choices=targets, required=False
            )
            for enrollment in enrollments:
                student = enrollment.student
                self.fields[f"pupil-{student.pk}"] = forms.ChoiceField(
                    label=f"{student}", choices=PUPIL_CHOICES, required=False
                )
                self.fields[f"reason-{student.pk}"] = forms.CharField(
                    label=gettext("Why %(student)s leaves") % {"student": student},
                    max_length=MAX_REASON,
                    required=False,
                )

    def clean(self):
        data = super().clean()
        for n in range(self.term_rows):
            keys = (f"term-{n}-name", f"term-{n}-start", f"term-{n}-end")
            values = [data.get(key) for key in keys]
            if any(values) and not all(values):
                for key, value in zip(keys, values, strict=True):
                    if not value and key not in self.errors:
                        self.add_error(key, gettext("Fill in the term's name and both dates, or leave the row empty."))
        for _group, enrollments in self.roll:
            for enrollment in enrollments:
                pk = enrollment.student_id
                if data.get(f"pupil-{pk}") == LEAVES and not (data.get(f"reason-{pk}") or "").strip():
                    self.add_error(
                        f"reason-{pk}", gettext("Say why %(student)s is leaving.") % {"student": enrollment.student}
                    )
        return data

    def plan(self):
        data = self.cleaned_data
        terms = []
        for n in range(self.term_rows):
            name, start, end = (data.get(f"term-{n}-{key}") for key in ("name", "start", "end"))
            if name and start and end:
                terms.append(TermPlan(name.strip(), start, end))
        mapping, repeaters, leavers = {}, set(), {}
        for group, enrollments in self.roll:
            choice = data.get(f"map-{group.pk}") or ""
            mapping[group.pk] = GRADUATE if choice == GRADUATE else parse_id(choice)
            for enrollment in enrollments:
                pk = enrollment.student_id
                what = data.get(f"pupil-{pk}")
                if what == REPEATS:
                    repeaters.add(pk)
                elif what == LEAVES:
                    leavers[pk] = data.get(f"reason-{pk}", "").strip()
        return Plan(
            name=data["name"].strip(),
            start_date=data["start_date"],
            end_date=data["end_date"],
            terms=terms,
            mapping=mapping,
            repeaters=repeaters,
            leavers=leavers,
        )

    def add_plan_errors(self, errors):
        """The planner's errors on the inputs they name; the rest at the top of the form."""
        for key, messages in errors.items():
            parts = key.split(".")
            if parts[0] == "terms" and len(parts) == 3 and parts[2] in _TERM_CELLS:
                name = f"term-{parts[1]}-{_TERM_CELLS[parts[2]]}"
            elif parts[0] == "pupil" and len(parts) == 2:
                name = f"reason-{parts[1]}"
            else:
                name = key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    def pupil_fields(self, student_id):
        return self[f"pupil-{student_id}"], self[f"reason-{student_id}"]


def _initial(plan, roll):
    initial = {"name": plan.name, "start_date": plan.start_date, "end_date": plan.end_date}
    for n, term in enumerate(plan.terms[:MAX_TERMS]):
        initial |= {f"term-{n}-name": term.name, f"term-{n}-start": term.start_date, f"term-{n}-end": term.end_date}
    for group, _enrollments in roll:
        choice = plan.mapping.get(group.pk)
        initial[f"map-{group.pk}"] = "" if choice is None else str(choice)
    return initial
