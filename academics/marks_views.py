"""The attendance officer's marks list under /s/<slug>/attendance/marks/: every mark of a span of days,
for the whole school or one class, of every kind or one, a page at a time, and ?format=csv for all
of them.

The page needs `academics.manage_attendance`, like the officer's other school-wide pages. The file is
each pupil's attendance leaving the workspace: it also needs `academics.view_attendance` (whose reads
are logged) and is written to the access log with its filters and row count."""

import datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_export
from classpoint.bounds import DateFormField
from classpoint.csvfile import csv_download
from classpoint.replica import reads_may_lag
from classpoint.tenancy import school_view

from .attendance.marks import marks_export, marks_list, marks_page
from .attendance.registers import term_on
from .models import AbsenceCode

MANAGE = "academics.manage_attendance"
VIEW = "academics.view_attendance"
PER_PAGE = 100
# A span longer than a school year is two files, not one.
MAX_DAYS = 400


class MarksFilterForm(forms.Form):
    class_group = forms.TypedChoiceField(label=_("Class"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(
        label=_("Mark"), required=False, choices=[("", _("Every mark")), *AbsenceCode.Kind.choices]
    )

    def __init__(self, data, *, school):
        super().__init__(data)
        date = forms.DateInput(attrs={"type": "date"})
        # "from" is a Python keyword: the fields are named as the officer's other pages name them.
        self.fields["from"] = DateFormField(label=_("From"), required=False, widget=date)
        self.fields["to"] = DateFormField(label=_("To"), required=False, widget=date)
        groups = school.class_groups.order_by("level", "name").values_list("pk", "name")
        self.fields["class_group"].choices = [("", gettext("Every class")), *groups]

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", gettext("“To” is before “From”."))
        elif start and end and (end - start).days >= MAX_DAYS:
            self.add_error(
                "to", gettext("Choose at most %(days)s days: a longer span is two exports.") % {"days": MAX_DAYS}
            )
        return data


def _default_span(school):
    """The current term up to today, else the last 30 days (as a pupil's history opens)."""
    today = school.local_today()
    term = term_on(school=school, date=today) or school.current_term()
    if term is not None and term.start_date <= today:
        return term.start_date, min(today, term.end_date)
    return today - datetime.timedelta(days=30), today


def _filters(request):
    """(filters for `marks_list`, the form showing them). A bad field shows its error and the
    default stands in for it, so the page still lists something sensible; the boxes of a good
    form show the span the page is about, the default one included."""
    school = request.school
    form = MarksFilterForm(request.GET, school=school)
    valid = form.is_valid()
    data = form.cleaned_data
    start, end = _default_span(school)
    chosen_start, chosen_end = (None, None) if "to" in form.errors else (data.get("from"), data.get("to"))
    start, end = chosen_start or start, chosen_end or end
    if end < start:  # one end chosen, beyond the default's other end
        start, end = (start, start) if chosen_start else (end, end)
    longest = datetime.timedelta(days=MAX_DAYS - 1)
    if end - start > longest:
        start, end = (start, start + longest) if chosen_start and not chosen_end else (end - longest, end)
    if valid:
        form = MarksFilterForm({**request.GET.dict(), "from": start.isoformat(), "to": end.isoformat()}, school=school)
        form.is_valid()
    filters = {"start": start, "end": end, "class_group_id": data.get("class_group"), "kind": data.get("kind") or ""}
    return filters, form


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=MANAGE)
@reads_may_lag
def attendance_marks(request):
    school = request.school
    filters, form = _filters(request)
    marks = marks_list(school=school, **filters)
    may_export = request.membership.has_perm(VIEW)
    if request.GET.get("format") == "csv":
        if not may_export:
            raise PermissionDenied
        shown = {**filters, "start": filters["start"].isoformat(), "end": filters["end"].isoformat()}
        record_export(school=school, actor=request.user, export="attendance", filters=shown, rows=marks.count())
        header, rows = marks_export(school=school, marks=marks)
        name = f"attendance-{school.slug}-{filters['start']}-to-{filters['end']}.csv"
        return csv_download(name, header, rows)
    page = Paginator(marks_page(marks), PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    # The span shown, the default one included, travels with the export link and the pages.
    params["from"], params["to"] = filters["start"].isoformat(), filters["end"].isoformat()
    context = {
        "form": form,
        "page": page,
        "start": filters["start"],
        "end": filters["end"],
        "query_string": params.urlencode(),
        "may_export": may_export,
    }
    template = (
        "academics/attendance/officer_marks_body.html" if request.htmx else "academics/attendance/officer_marks.html"
    )
    return render(request, template, context)
