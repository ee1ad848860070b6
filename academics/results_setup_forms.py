"""The forms of the results set-up pages (results_setup_views.py).

Components and grade bands are edited as rows of a table (`c-<n>-name`, `b-<n>-letter`...): a
fixed number of blank rows below the saved ones adds rows without JavaScript, and a row left blank
(or ticked "remove") drops out. The services check everything; these forms only read the rows and
point a service's `components.<k>.<field>` errors back at the row they came from.
"""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classpoint.bounds import MAX_AMOUNT_MINOR

from .models import CommentBank, Subject
from .results.setup import MAX_COMPONENTS
from .results.setup_grading import MAX_BANDS, MAX_LINK_DAYS

BLANK_ROWS = 3
MAX_CELL = 40  # characters kept of a typed number: more is a typo, and the service says so
_AMOUNT = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,2})?$")


class SubjectForm(forms.Form):
    name = forms.CharField(label=_("Subject"), max_length=80)
    code = forms.CharField(
        label=_("Code (optional)"), max_length=12, required=False, help_text=_("Up to 12 letters: MTH.")
    )
    level = forms.ChoiceField(label=_("Level"), help_text=_("The classes of this level take it."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Subject.Kind.choices, initial=Subject.Kind.CORE)
    position = forms.IntegerField(
        label=_("Order on the report card"), min_value=0, max_value=999, initial=0, help_text=_("Lower comes first.")
    )

    def __init__(self, data=None, *, levels, editing=False, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["level"].choices = [(level, level) for level in levels]
        if editing:
            self.fields["is_active"] = forms.BooleanField(
                label=_("In use (untick to retire it)"), required=False, initial=True
            )


class SettingsForm(forms.Form):
    show_class_position = forms.BooleanField(label=_("Show each pupil's position in the class"), required=False)
    show_subject_position = forms.BooleanField(label=_("Show each pupil's position in every subject"), required=False)
    withhold = forms.CharField(
        label=_("Withhold report cards while a family owes more than"),
        required=False,
        max_length=30,
        help_text=_("An amount in major units (45,000.00); leave it empty to never withhold a report card."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    link_days = forms.IntegerField(
        label=_("Days a guardian's results link stays open"), min_value=1, max_value=MAX_LINK_DAYS
    )

    # The service's field names -> this form's.
    FIELDS = {"withhold_owing_above_minor": "withhold"}

    def clean_withhold(self):
        text = self.cleaned_data["withhold"].strip().replace(",", "").replace(" ", "").replace("\u00a0", "")
        if not text:
            return None
        if not _AMOUNT.match(text):
            raise forms.ValidationError(
                gettext("Enter an amount like 45,000.00 or 45000 (digits, at most two decimals).")
            )
        minor = int(Decimal(text) * 100)
        if minor > MAX_AMOUNT_MINOR:
            raise forms.ValidationError(gettext("That amount is too large."))
        return minor


class CommentForm(forms.Form):
    kind = forms.ChoiceField(label=_("For"), choices=CommentBank.Kind.choices)
    text = forms.CharField(label=_("Comment"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ScaleNameForm(forms.Form):
    name = forms.CharField(label=_("Scale name"), max_length=60)
    use = forms.BooleanField(label=_("Use this scale on report cards"), required=False)


def _cell(data, key):
    value = data.get(key, "")
    return value.strip()[:MAX_CELL] if isinstance(value, str) else ""


class Rows:
    """Rows of a table form read from POST data: each row a dict of its cells as typed, `rows[i]`
    keeping the form's row number for the errors. Blank rows and removed ones are left out of
    `given`, which is what the service receives."""

    prefix = ""
    columns = ()  # (cell, label, kind): kind "wide" (text), "short" (a grade letter) or "number"
    cells = ()
    limit = 0

    def __init__(self, rows, *, errors=None):
        self.rows = rows  # [{"n": row number, cell: text, "remove": bool}]
        self.errors = errors or {}  # {row number: {cell: [messages]}}
        self.table_errors = []

    @classmethod
    def from_post(cls, data):
        rows = []
        for n in range(cls.limit + BLANK_ROWS):
            row = {cell: _cell(data, f"{cls.prefix}-{n}-{cell}") for cell in cls.cells}
            row["id"] = _cell(data, f"{cls.prefix}-{n}-id")
            row["n"], row["remove"] = n, bool(data.get(f"{cls.prefix}-{n}-remove"))
            rows.append(row)
        return cls(rows)

    @classmethod
    def blank(cls, n):
        return {"n": n, "id": "", "remove": False, **dict.fromkeys(cls.cells, "")}

    def padded(self):
        """The rows to show: the typed or saved ones, then blank rows to add more."""
        kept = [row for row in self.rows if not self.is_blank(row)]
        wanted = min(len(kept) + BLANK_ROWS, self.limit + BLANK_ROWS)
        shown = [{**row, "n": n} for n, row in enumerate(kept)]
        renumber = {row["n"]: n for n, row in zip(range(len(kept)), kept, strict=True)}
        self.errors = {renumber[n]: cells for n, cells in self.errors.items() if n in renumber}
        shown += [self.blank(n) for n in range(len(shown), wanted)]
        for row in shown:
            errors = self.errors.get(row["n"], {})
            row["cells"] = [
                {"name": cell, "label": label, "kind": kind, "value": row[cell], "errors": errors.get(cell, [])}
                for cell, label, kind in self.columns
            ]
        return shown

    def is_blank(self, row):
        return not row["id"] and not any(row[cell] for cell in self.cells)

    def given(self):
        return [row for row in self.rows if not row["remove"] and not self.is_blank(row)]

    def apply_error(self, fields, message, sent):
        """A service's error (its `fields` and `message`) on the rows sent (`sent`: given(), in the
        order sent); what names no row goes above the table."""
        pattern = re.compile(rf"^{self.name}\.([0-9]+)\.(\w+)$")
        for key, messages in fields.items():
            match = pattern.match(key)
            if match and int(match.group(1)) < len(sent):
                n = sent[int(match.group(1))]["n"]
                self.errors.setdefault(n, {}).setdefault(match.group(2), []).extend(messages)
            else:
                self.table_errors.extend(messages)
        if not fields:
            self.table_errors.append(message)

    def summary(self):
        found = [("", message) for message in self.table_errors]
        for n, cells in sorted(self.errors.items()):
            row = gettext("Row %(n)s") % {"n": n + 1}
            found += [(row, message) for messages in cells.values() for message in messages]
        return found


class ComponentRows(Rows):
    prefix, name, limit = "c", "components", MAX_COMPONENTS
    columns = (("name", _("Name"), "wide"), ("max_score", _("Out of"), "number"), ("weight", _("Weight (%)"), "number"))
    cells = tuple(column[0] for column in columns)

    @classmethod
    def of(cls, components):
        return cls(
            [
                {
                    "n": n,
                    "id": str(c.pk),
                    "name": c.name,
                    "max_score": f"{c.max_score.normalize():f}",
                    "weight": f"{c.weight.normalize():f}",
                    "remove": False,
                }
                for n, c in enumerate(components)
            ]
        )

    def payload(self):
        """The rows as components_set takes them (an id that names nothing is the service's to refuse)."""
        return [
            {
                "id": int(row["id"]) if row["id"].isascii() and row["id"].isdigit() else -1,
                **{c: row[c] for c in self.cells},
            }
            if row["id"]
            else {c: row[c] for c in self.cells}
            for row in self.given()
        ]

    def total(self):
        """The weights typed so far, added up (those that are numbers)."""
        total = Decimal(0)
        for row in self.given():
            try:
                weight = Decimal(row["weight"])
            except ArithmeticError:
                continue
            if weight.is_finite() and abs(weight) <= 1000:
                total += weight
        return total.quantize(Decimal(1)) if total == total.to_integral_value() else total.normalize()


class BandRows(Rows):
    prefix, name, limit = "b", "bands", MAX_BANDS
    columns = (
        ("letter", _("Grade"), "short"),
        ("min_score", _("From"), "number"),
        ("max_score", _("To"), "number"),
        ("remark", _("Remark"), "wide"),
        ("points", _("Points"), "number"),
    )
    cells = tuple(column[0] for column in columns)

    @classmethod
    def of(cls, bands):
        return cls(
            [
                {
                    "n": n,
                    "id": "",
                    "letter": b.letter,
                    "min_score": f"{b.min_score:f}",
                    "max_score": f"{b.max_score:f}",
                    "remark": b.remark,
                    "points": f"{b.points.normalize():f}",
                    "remove": False,
                }
                for n, b in enumerate(bands)
            ]
        )

    def payload(self):
        return [{c: row[c] for c in self.cells} for row in self.given()]
