"""The attendance officer's pages under /s/<slug>/attendance/: a day across the school, the registers
still missing for a day, a pupil's history, and correcting one mark.

The day and completeness pages need `academics.manage_attendance` (every register, every pupil). A
pupil's history needs `academics.view_attendance`, and every read of it is in the pupil's access
log. Each page is a plain GET form without JavaScript; with htmx, choosing another day swaps the
page's body and pushes the address.
"""

import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from classpoint.audit import record_access
from classpoint.bounds import MAX_ID, DateFormField
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from .attendance.codes import codes_for, policy_for
from .attendance.registers import MAX_MINUTES_LATE, MAX_NOTE, mark_correct, term_on
from .attendance.selectors import absentees_on, day_summary, sittings_on, student_history
from .errors import AcademicsError
from .models import AbsenceCode, AttendanceMark
from .recovery.selectors import student_recovered_time

MANAGE = "academics.manage_attendance"
VIEW = "academics.view_attendance"
Kind = AbsenceCode.Kind
# A history longer than a school year is a report, not a page.
MAX_HISTORY_DAYS = 400


class DayForm(forms.Form):
    date = DateFormField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _day(request):
    """The day the query string names (the school's today when it names none), and the form that
    shows a bad one's error."""
    form = DayForm(request.GET)
    if form.is_valid() and form.cleaned_data.get("date") is None:
        # The box shows the day the page is about, today included.
        form = DayForm({"date": request.school.local_today().isoformat()})
        form.is_valid()
    return form.cleaned_data.get("date") or request.school.local_today(), form


def _school_day_near(date, school_days, step):
    """The nearest day before (step -1) or after (step 1) `date` the school opens."""
    for offset in range(1, 8):
        day = date + datetime.timedelta(days=step * offset)
        if day.isoweekday() in school_days:
            return day
    return date + datetime.timedelta(days=step)


def _closed_because(school, date, policy, term):
    """Why `date` asks for no register, or ""."""
    if date.isoweekday() not in policy.school_days:
        return gettext("The school does not open on %(days)s, so the day has no registers.") % {"days": f"{date:%A}s"}
    if term is None:
        return gettext("No term includes %(day)s, so the day has no registers.") % {"day": f"{date.day} {date:%B %Y}"}
    return ""


def _day_context(request, date, form):
    school = request.school
    policy = policy_for(school)
    term = term_on(school=school, date=date)
    today = school.local_today()
    return {
        "date": date,
        "form": form,
        "today": today,
        "is_future": date > today,
        "closed": _closed_because(school, date, policy, term),
        "previous_day": _school_day_near(date, policy.school_days, -1),
        "next_day": _school_day_near(date, policy.school_days, 1),
    }


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=MANAGE)
def attendance_day(request):
    """The school's day: marks by kind, every register the day asks for (taken by whom, or
    missing) and the pupils not simply present."""
    school = request.school
    date, form = _day(request)
    context = _day_context(request, date, form)
    sittings = sittings_on(school=school, date=date)
    context.update(
        summary=day_summary(school=school, date=date),
        sittings=sittings,
        taken_count=sum(1 for sitting in sittings if sitting.taken),
        absentees=_by_pupil(absentees_on(school=school, date=date)),
        can_view_pupils=request.membership.has_perm(VIEW),
    )
    template = "academics/attendance/officer_day_body.html" if request.htmx else "academics/attendance/officer_day.html"
    return render(request, template, context)


def _by_pupil(marks):
    """[(student, class_group, [marks])] in the order the marks come (class, then name): a pupil
    absent from several lessons is one row."""
    rows = {}
    for mark in marks:
        rows.setdefault(mark.student_id, (mark.student, mark.register.class_group, []))[2].append(mark)
    return list(rows.values())


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=MANAGE)
def attendance_completeness(request):
    """The registers of a day nobody has taken yet, by the teacher who should take them."""
    school = request.school
    date, form = _day(request)
    context = _day_context(request, date, form)
    sittings = sittings_on(school=school, date=date)
    missing = [sitting for sitting in sittings if not sitting.taken]  # missing_on, without asking twice
    context.update(missing=missing, teachers=_by_teacher(missing), total=len(sittings))
    template = (
        "academics/attendance/officer_completeness_body.html"
        if request.htmx
        else "academics/attendance/officer_completeness.html"
    )
    return render(request, template, context)


def _by_teacher(sittings):
    """[{teacher, email, phone, sittings}] by teacher's name; registers with no teacher last. A
    teacher without an email of their own on the staff list is reached at their login's."""
    groups = {}
    for sitting in sittings:
        key = sitting.teacher.pk if sitting.teacher else None
        groups.setdefault(key, {"teacher": sitting.teacher, "sittings": []})["sittings"].append(sitting)
    without_email = {g["teacher"].user_id for g in groups.values() if g["teacher"] and not g["teacher"].email}
    without_email.discard(None)
    login_emails = (
        dict(get_user_model().objects.filter(pk__in=without_email).values_list("pk", "email")) if without_email else {}
    )
    for group in groups.values():
        teacher = group["teacher"]
        group["email"] = (teacher.email or login_emails.get(teacher.user_id, "")) if teacher else ""
        group["phone"] = teacher.phone if teacher else ""
    return sorted(
        groups.values(),
        key=lambda g: (g["teacher"] is None, (g["teacher"].last_name, g["teacher"].first_name) if g["teacher"] else ()),
    )


class HistoryRangeForm(forms.Form):
    """?from=&to= (named in __init__: `from` is Python's)."""

    def __init__(self, data):
        super().__init__(data)
        self.fields["from"] = DateFormField(
            label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = DateFormField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end:
            if end < start:
                self.add_error("to", gettext("“To” is before “From”."))
            elif (end - start).days > MAX_HISTORY_DAYS:
                self.add_error("to", gettext("Choose at most %(days)s days at a time.") % {"days": MAX_HISTORY_DAYS})
        return data


def _term_so_far(school, today):
    """The default span of a history: the current term up to today, else the last 30 days."""
    term = term_on(school=school, date=today) or school.current_term()
    if term is not None and term.start_date <= today:
        return term.start_date, min(today, term.end_date)
    return today - datetime.timedelta(days=30), today


def _history_range(request):
    school = request.school
    today = school.local_today()
    start, end = _term_so_far(school, today)
    form = HistoryRangeForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        chosen_start, chosen_end = data.get("from"), data.get("to")
        if chosen_start and not chosen_end:
            chosen_end = max(chosen_start, min(today, chosen_start + datetime.timedelta(days=MAX_HISTORY_DAYS)))
        elif chosen_end and not chosen_start:
            chosen_start = chosen_end - datetime.timedelta(days=min(MAX_HISTORY_DAYS, max(0, (end - start).days)))
        if chosen_start and chosen_end:
            start, end = chosen_start, chosen_end
        # The boxes show the span the page is about, the default one included.
        form = HistoryRangeForm({"from": start.isoformat(), "to": end.isoformat()})
        form.is_valid()
    return start, end, form


def _calendar(school, start, end, history, today):
    """The span week by week, up to today, one cell per school day so that a weekday keeps its
    column: each day in a term (or marked) with the mark it counts by (None: not marked); days
    outside the span or the terms are blank. Weeks with nothing to show are left out."""
    policy = policy_for(school)
    terms = [
        (term.start_date, term.end_date)
        for term in school.terms.filter(start_date__lte=end, end_date__gte=start).order_by("start_date")
    ]
    marks = history.day_marks
    weekdays = sorted(set(policy.school_days) | {date.isoweekday() for date in marks})
    last = min(end, today)
    weeks = []
    monday = start - datetime.timedelta(days=start.weekday())
    while monday <= last:
        days = []
        for weekday in weekdays:
            day = monday + datetime.timedelta(days=weekday - 1)
            shown = start <= day <= last and (day in marks or any(first <= day <= final for first, final in terms))
            days.append({"date": day, "mark": marks.get(day), "blank": not shown})
        if not all(day["blank"] for day in days):
            weeks.append({"monday": monday, "days": days})
        monday += datetime.timedelta(days=7)
    return weeks


def _student(request, student_id):
    student = request.school.students.filter(pk=student_id).first() if student_id <= MAX_ID else None
    if student is None:
        raise Http404("No such student")
    return student


def history_url(school, student, start=None, end=None):
    url = reverse("attendance-student", args=[school.slug, student.pk])
    return url + ("?" + urlencode({"from": start.isoformat(), "to": end.isoformat()}) if start and end else "")


@require_GET
@school_view(perm=VIEW)
def student_attendance(request, student_id):
    """A pupil's attendance over a span (the term so far unless ?from=&to= say otherwise): a
    strip of school days by mark, totals by kind, the rate, and every mark but a plain present
    (or every mark, with ?all=1). The read goes into the pupil's access log."""
    school = request.school
    student = _student(request, student_id)
    record_access(school=school, actor=request.user, target=student, via="workspace")
    start, end, form = _history_range(request)
    history = student_history(school=school, student=student, start=start, end=end)
    every_mark = [mark for _, day_marks in history.days for mark in day_marks]
    show_all = request.GET.get("all") == "1"
    shown = [mark for mark in every_mark if show_all or mark.kind != Kind.PRESENT or mark.note]
    shown.reverse()  # newest first
    marked_days = len(history.days)
    query = {"from": start.isoformat(), "to": end.isoformat()}
    context = {
        "student": student,
        "form": form,
        "summary": error_summary(form),
        "start": start,
        "end": end,
        "weeks": _calendar(school, start, end, history, school.local_today()),
        "totals": [(kind, label, history.totals.get(kind, 0)) for kind, label in Kind.choices],
        "rate_percent": None if history.rate is None else round(history.rate * 100, 1),
        "marked_days": marked_days,
        "attended_days": round((history.rate or 0) * marked_days),
        "marks": shown,
        "mark_count": len(every_mark),
        "show_all": show_all,
        "all_url": "?" + urlencode({**query, "all": "1"}),
        "fewer_url": "?" + urlencode(query),
        "can_correct": request.membership.has_perm(MANAGE),
        "recovered": student_recovered_time(school=school, student=student),
    }
    return render(request, "academics/attendance/officer_student.html", context)


class CorrectionForm(forms.Form):
    code = forms.ChoiceField(label=_("Mark"))
    minutes_late = forms.IntegerField(
        label=_("Minutes late"),
        required=False,
        min_value=1,
        max_value=MAX_MINUTES_LATE,
        help_text=_("Only for a late mark."),
    )
    note = forms.CharField(label=_("Note on the mark"), required=False, max_length=MAX_NOTE)
    # Not required here: the service says why a correction needs one, the same way the API hears it.
    reason = forms.CharField(
        label=_("Reason for the correction"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit log: a note from home, a register mistake…"),
    )

    def __init__(self, data=None, *, codes, mark):
        super().__init__(
            data,
            initial={"code": mark.code.code, "minutes_late": mark.minutes_late, "note": mark.note},
        )
        self.mark = mark
        self.kinds = {code.code: code.kind for code in codes}
        self.fields["code"].choices = [(code.code, f"{code.code}: {code.label}") for code in codes]

    def clean_note(self):
        return " ".join(self.cleaned_data["note"].split())

    def clean(self):
        data = super().clean()
        if self.kinds.get(data.get("code")) != Kind.LATE:
            data["minutes_late"] = None  # minutes left in the box from a late mark mean nothing now
        mark = self.mark
        unchanged = (
            data.get("code") == mark.code.code
            and data.get("minutes_late") == mark.minutes_late
            and (data.get("note") or "") == mark.note
        )
        if not self.errors and unchanged:
            raise forms.ValidationError(
                gettext("That is the mark it has already: change the mark, the minutes or the note.")
            )
        return data


def _mark(request, mark_id):
    mark = (
        AttendanceMark.objects.for_school(request.school)
        .select_related("student", "code", "slot", "marked_by", "register__class_group", "register__term")
        .filter(pk=mark_id)
        .first()
        if mark_id <= MAX_ID
        else None
    )
    if mark is None:
        raise Http404("No such mark")
    return mark


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def attendance_mark_correct(request, mark_id):
    """Correct one mark with a reason (audited with the register); back to the pupil's history."""
    school = request.school
    mark = _mark(request, mark_id)
    form = CorrectionForm(request.POST if request.method == "POST" else None, codes=codes_for(school), mark=mark)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                mark_correct(
                    school=school,
                    mark=mark,
                    code=data["code"],
                    actor=request.user,
                    reason=data["reason"],
                    minutes_late=data["minutes_late"],
                    note=data["note"],
                )
            except AcademicsError as exc:
                # A problem with the mark comes named by the pupil (`marks.<id>`), no field of this
                # form: it shows above the fields.
                apply_domain_error(form, exc)
                status = exc.status_code
            else:
                code = data["code"]
                day = f"{mark.date:%A} {mark.date.day} {mark.date:%B}"
                messages.success(
                    request,
                    gettext("%(name)s’s mark for %(day)s is now %(code)s.")
                    % {"name": mark.student.full_name, "day": day, "code": code},
                )
                return redirect(_history_after(school, mark))
        if status == 200:
            status = 400
    context = {
        "mark": mark,
        "form": form,
        "summary": error_summary(form),
        "history_url": _history_after(school, mark),
        "register_label": _register_label(mark),
    }
    return render(request, "academics/attendance/officer_mark_correct.html", context, status=status)


def _history_after(school, mark):
    """The pupil's history, over the span that shows the mark (the default one when it does)."""
    start, end = _term_so_far(school, school.local_today())
    if start <= mark.date <= end:
        return history_url(school, mark.student)
    term = mark.register.term
    return history_url(school, mark.student, term.start_date, max(term.start_date, min(term.end_date, mark.date)))


def _register_label(mark):
    group = mark.register.class_group.name
    if mark.slot is None:
        return gettext("%(group)s: daily register") % {"group": group}
    return f"{group}: {mark.slot.subject}, {mark.slot.start_time:%H:%M}–{mark.slot.end_time:%H:%M}"
