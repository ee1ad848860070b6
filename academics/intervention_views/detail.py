"""One intervention's page: the pupil's counted days, the letter (its preview while a draft), the
forms of its actions, its meetings, and the letter's PDF as sent."""

import datetime
from collections import defaultdict

from django import forms
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from classpoint.audit import record_access
from classpoint.bounds import MAX_ID, DateFormField
from classpoint.files import download_url
from classpoint.forms import error_summary
from classpoint.tenancy import school_view
from schools.selectors import attach_classes

from ..interventions.letters import LETTER_KINDS, letter_filename, letter_render
from ..models import AbsenceCode, AttendanceMark, Intervention, InterventionMeeting
from .common import MANAGE, VIEW, Kind, State, school_interventions

# What the services keep (Intervention.note, InterventionMeeting's texts, Intervention.outcome).
MAX_NOTE = 300
MAX_OUTCOME = 4000
MAX_ATTENDEES = 4000
MAX_MEETING_NOTES = 8000


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=MAX_NOTE,
        help_text=_("How the family acknowledged it: the slip returned, a call, a meeting…"),
    )


class CloseForm(forms.Form):
    # Not required here: the service says why, the same way the API hears it.
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=MAX_OUTCOME,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was agreed or decided, or why the case is closed."),
    )


class MeetingForm(forms.Form):
    held_on = DateFormField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    attendees = forms.CharField(
        label=_("Attendees"),
        required=False,
        max_length=MAX_ATTENDEES,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, with their part: “Mrs Bello (mother)”."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=MAX_MEETING_NOTES,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was said and agreed."),
    )


def find_intervention(request, intervention_id):
    found = (
        school_interventions(request.school).select_related("session").filter(pk=intervention_id).first()
        if intervention_id <= MAX_ID
        else None
    )
    if found is None:
        raise Http404("No such intervention")
    return found


def _name(user):
    return user.get_full_name() or user.get_username()


def _counted_days(school, intervention):
    """[(date, [marks that are not a plain present])] for each day the intervention counted."""
    days = [datetime.date.fromisoformat(day) for day in intervention.counted_days]
    marks = defaultdict(list)
    found = (
        AttendanceMark.objects.for_school(school)
        .filter(student_id=intervention.student_id, date__in=days)
        .exclude(kind=AbsenceCode.Kind.PRESENT)
        .select_related("code", "slot")
        .order_by("date", F("slot__start_time").asc(nulls_first=True), "id")
    )
    for mark in found:
        marks[mark.date].append(mark)
    return [(day, marks.get(day, [])) for day in days]


def intervention_page(request, intervention, *, status=200, acknowledge=None, close=None, meeting=None, open_form=""):
    """The intervention's page; a refused action's form comes back bound, with its errors."""
    school = request.school
    student = intervention.student
    record_access(school=school, actor=request.user, target=student, via="workspace")
    attach_classes([student], school=school, term=school.current_term())
    is_letter = intervention.kind in LETTER_KINDS
    preview = None
    if is_letter and intervention.state == State.DRAFT:
        preview = letter_render(intervention=intervention, officer_name=_name(request.user))
    acknowledge = acknowledge or AcknowledgeForm()
    close = close or CloseForm()
    meeting = meeting or MeetingForm(initial={"held_on": school.local_today()})
    log = (
        Intervention.objects.for_school(school)
        .filter(student=student, session=intervention.session)
        .order_by("created_at", "id")
    )
    meetings = (
        InterventionMeeting.objects.for_school(school)
        .filter(intervention=intervention)
        .select_related("created_by")
        .order_by("held_on", "id")
    )
    context = {
        "intervention": intervention,
        "student": student,
        "is_letter": is_letter,
        "is_sarb": intervention.kind == Kind.SARB_REFERRAL,
        "days": _counted_days(school, intervention),
        "preview": preview,
        "can_send": intervention.state == State.DRAFT,
        "can_acknowledge": intervention.state == State.SENT,
        "can_close": intervention.state in (State.DRAFT, State.SENT, State.ACKNOWLEDGED),
        "can_meet": intervention.state != State.CANCELLED,
        "can_view_pupil": request.membership.has_perm(VIEW),
        "acknowledge_form": acknowledge,
        "acknowledge_summary": error_summary(acknowledge),
        "close_form": close,
        "close_summary": error_summary(close),
        "meeting_form": meeting,
        "meeting_summary": error_summary(meeting),
        "open_form": open_form,
        "meetings": [(m, m.attendees.splitlines()) for m in meetings],
        "log": log,
        "session": intervention.session,
    }
    return render(request, "academics/interventions/detail.html", context, status=status)


@require_GET
@school_view(perm=MANAGE)
def intervention_detail(request, intervention_id):
    return intervention_page(request, find_intervention(request, intervention_id))


@never_cache
@require_GET
@school_view(perm=MANAGE)
def intervention_pdf(request, intervention_id):
    """The letter's PDF as it was sent, through a short-lived download link made at the click."""
    intervention = find_intervention(request, intervention_id)
    if not intervention.pdf:
        raise Http404("This intervention has no letter")
    url, _expires_at = download_url(intervention.pdf.name, filename=letter_filename(intervention))
    return redirect(url)
