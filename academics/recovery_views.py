"""Recovery sessions under /s/<slug>/attendance/recovery/: the list (today and later, then the past),
scheduling one, and a session's page, where pupils are found by name or admission number and seated,
attendance is taken with one checkbox per pupil, and the minutes each was credited show.

Reading and taking attendance need `academics.record_attendance` (the teacher who runs the session);
scheduling, seating and cancelling need `academics.manage_attendance`. Every form works without
JavaScript; with htmx the pupil search answers as it is typed, without reloading the page.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from classpoint.bounds import MAX_ID, DateFormField, parse_id
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view
from schools.selectors import attach_classes, students_list

from .attendance.codes import policy_for
from .errors import AcademicsError, AcademicsErrorCode
from .models import RecoverySession
from .recovery.selectors import active_counts, credited, minutes_text, school_year, session_get, sessions_list
from .recovery.services import (
    MAX_CAPACITY,
    MAX_LOCATION,
    describe,
    recovery_assign,
    recovery_attendance_take,
    recovery_session_cancel,
    recovery_session_create,
    recovery_unassign,
)

RECORD = "academics.record_attendance"
MANAGE = "academics.manage_attendance"
State = RecoverySession.State
PAST_PER_PAGE = 25
SEARCH_RESULTS = 20
MAX_QUERY = 100


@require_GET
@school_view(perm=RECORD)
def recovery_list(request):
    """Sessions from today on (soonest first), then past ones (latest first, a page at a time)."""
    school = request.school
    today = school.local_today()
    upcoming = list(sessions_list(school=school, start=today))
    past = Paginator(sessions_list(school=school, end=today - datetime.timedelta(days=1)).reverse(), PAST_PER_PAGE)
    page = past.get_page(request.GET.get("page"))
    today_count, later_count = active_counts(school=school, today=today)
    context = {
        "today": today,
        "upcoming": upcoming,
        "past_page": page,
        "today_count": today_count,
        "later_count": later_count,
        "can_manage": request.membership.has_perm(MANAGE),
    }
    return render(request, "academics/recovery/list.html", context)


class SessionForm(forms.Form):
    # A date input takes only ISO dates: the locale's 05/12/2026 would leave it empty.
    date = DateFormField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    location = forms.CharField(label=_("Where"), max_length=MAX_LOCATION, help_text=_("A room, the library, the hall…"))
    teacher = forms.ChoiceField(label=_("Teacher"), required=False)
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=MAX_CAPACITY, initial=25)

    def __init__(self, data=None, *, teachers, **kwargs):
        super().__init__(data, **kwargs)
        self.teachers = {str(teacher.pk): teacher for teacher in teachers}
        self.fields["teacher"].choices = [("", gettext("Nobody yet"))] + [
            (pk, str(t)) for pk, t in self.teachers.items()
        ]
        self.fields["capacity"].help_text = gettext("1 to %(max)s pupils.") % {"max": MAX_CAPACITY}

    def clean_teacher(self):
        return self.teachers.get(self.cleaned_data.get("teacher") or "")


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def recovery_new(request):
    school = request.school
    teachers = list(school.staff.filter(is_teacher=True).order_by("last_name", "first_name", "id"))
    initial = {"date": school.local_today(), "start_time": "14:00", "end_time": "16:00", "capacity": 25}
    form = SessionForm(request.POST if request.method == "POST" else None, teachers=teachers, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = recovery_session_create(school=school, actor=request.user, **form.cleaned_data)
            except AcademicsError as exc:
                apply_domain_error(form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request, gettext("Recovery session scheduled: %(session)s.") % {"session": describe(session)}
                )
                return redirect("recovery-detail", school.slug, session.pk)
        status = status if status != 200 else 400
    context = {"form": form, "summary": error_summary(form)}
    return render(request, "academics/recovery/new.html", context, status=status)


def _session(request, session_id):
    session = session_get(school=request.school, session_id=session_id) if session_id <= MAX_ID else None
    if session is None:
        raise Http404("No such recovery session")
    return session


def _search(request, session):
    """The pupils the search box names (active pupils, by name), each with whether they have a seat."""
    q = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    if not q:
        return q, []
    found = list(students_list(school=request.school, q=q, status="active")[:SEARCH_RESULTS])
    # Namesakes are common (three Bisi Adebayos in the demo school): the class tells them apart.
    attach_classes(found, school=request.school, term=request.school.current_term())
    seated = {seat.student_id for seat in session.seats}
    return q, [(student, student.pk in seated) for student in found]


def _page(request, session, *, status=200, errors=None, chosen=()):
    """The session page; `errors` ({"assign"|"attend"|"cancel": [messages]}) show beside their form."""
    school = request.school
    q, results = _search(request, session)
    start, end = school_year(school=school, date=session.date)
    ids = [seat.student_id for seat in session.seats]
    attach_classes([seat.student for seat in session.seats], school=school, term=school.current_term())
    year_totals = credited(school=school, student_ids=ids, start=start, end=end) if ids else {}
    seats = [
        {
            "seat": seat,
            "year_total": minutes_text(year_totals.get(seat.student_id, 0)),
            "capped": bool(seat.attended) and seat.minutes_credited < session.minutes,
        }
        for seat in session.seats
    ]
    taken = any(seat.attended is not None for seat in session.seats)
    today = school.local_today()
    context = {
        "session": session,
        "describe": describe(session),
        "length": minutes_text(session.minutes),
        "seats": seats,
        "seats_free": max(0, session.capacity - session.seats_taken),
        "credited_total": minutes_text(sum(seat.minutes_credited for seat in session.seats)),
        "attended_count": sum(1 for seat in session.seats if seat.attended),
        "taken": taken,
        "is_future": session.date > today,
        "is_cancelled": session.state == State.CANCELLED,
        "cap": minutes_text(policy_for(school).recovery_cap_minutes),
        "year_start": start,
        "year_end": end,
        "q": q,
        "results": results,
        "chosen": {str(pk) for pk in chosen},
        "errors": errors or {},
        "can_manage": request.membership.has_perm(MANAGE),
    }
    if request.htmx and request.htmx.target == "pupil-results":
        return render(request, "academics/recovery/search_results.html", context, status=status)
    return render(request, "academics/recovery/detail.html", context, status=status)


@require_GET
@vary_on_headers("HX-Request")
@school_view(perm=RECORD)
def recovery_detail(request, session_id):
    return _page(request, _session(request, session_id))


def _messages(exc):
    """A domain error as sentences for the page: every field's messages, else its message."""
    found = [message for messages_ in exc.fields.values() for message in messages_]
    return found or [exc.message]


def _after(request, session):
    return reverse("recovery-detail", args=[request.school.slug, session.pk])


@require_POST
@school_view(perm=MANAGE)
def recovery_assign_view(request, session_id):
    session = _session(request, session_id)
    raw = request.POST.getlist("students")
    ids = [parse_id(value) for value in raw]
    if not raw or None in ids:
        return _page(request, session, status=400, errors={"assign": [gettext("Tick at least one pupil to seat.")]})
    try:
        result = recovery_assign(school=request.school, session=session, student_ids=ids, actor=request.user)
    except AcademicsError as exc:
        status = 404 if exc.code == AcademicsErrorCode.STUDENT_NOT_FOUND else exc.status_code
        return _page(request, session, status=status, errors={"assign": _messages(exc)}, chosen=ids)
    names = ", ".join(student.full_name for student in result.assigned)
    if names:
        messages.success(request, gettext("Seated: %(names)s.") % {"names": names})
    if result.already:
        already = ", ".join(s.full_name for s in result.already)
        messages.info(request, gettext("Already seated: %(names)s.") % {"names": already})
    return redirect(_after(request, session))


@require_POST
@school_view(perm=MANAGE)
def recovery_unassign_view(request, session_id):
    session = _session(request, session_id)
    student_id = parse_id(request.POST.get("student"))
    if student_id is None:
        raise Http404("No such pupil in this session")
    try:
        recovery_unassign(school=request.school, session=session, student_id=student_id, actor=request.user)
    except AcademicsError as exc:
        if exc.code == AcademicsErrorCode.STUDENT_NOT_FOUND:
            raise Http404("No such pupil in this session") from None
        return _page(request, session, status=exc.status_code, errors={"assign": _messages(exc)})
    messages.success(request, gettext("The seat is free again."))
    return redirect(_after(request, session))


@require_POST
@school_view(perm=RECORD)
def recovery_attend_view(request, session_id):
    """Every pupil listed on the form (`seat`) is marked: ticked attended, the others absent."""
    session = _session(request, session_id)
    listed = [parse_id(value) for value in request.POST.getlist("seat")]
    ticked = {parse_id(value) for value in request.POST.getlist("attended")}
    if not listed or None in listed:
        return _page(
            request, session, status=400, errors={"attend": [gettext("Seat a pupil before taking attendance.")]}
        )
    marks = {student_id: student_id in ticked for student_id in listed}
    try:
        recovery_attendance_take(school=request.school, session=session, marks=marks, actor=request.user)
    except AcademicsError as exc:
        return _page(request, session, status=exc.status_code, errors={"attend": _messages(exc)})
    came = sum(1 for attended in marks.values() if attended)
    messages.success(
        request, gettext("Attendance saved: %(came)s of %(listed)s came.") % {"came": came, "listed": len(marks)}
    )
    return redirect(_after(request, session))


@require_POST
@school_view(perm=MANAGE)
def recovery_cancel_view(request, session_id):
    session = _session(request, session_id)
    reason = (request.POST.get("reason") or "").strip()[:500]
    if "\x00" in reason:
        return _page(
            request, session, status=400, errors={"cancel": [gettext("The reason holds a character it cannot.")]}
        )
    try:
        recovery_session_cancel(school=request.school, session=session, actor=request.user, reason=reason)
    except AcademicsError as exc:
        return _page(request, session, status=exc.status_code, errors={"cancel": _messages(exc)})
    messages.success(request, gettext("Cancelled: %(session)s.") % {"session": describe(session)})
    return redirect(_after(request, session))
