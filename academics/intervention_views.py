"""Truancy interventions under /s/<slug>/attendance/interventions/: the queue (drafts to send, letters
awaiting the family's acknowledgement, SARB cases open), one intervention with its letter, actions
and meetings, and the school's wording of the three letters.

Everything here needs `academics.manage_attendance`. Opening an intervention shows the pupil's
counted days, so the read goes into the pupil's access log. A refused action changes nothing: the
page comes back with the error beside the field, or, when the intervention has moved on (someone
sent or closed it meanwhile), as a message with a 409.
"""

import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.audit import record_access
from classpoint.bounds import MAX_ID, DateFormField
from classpoint.files import download_url
from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view
from schools.selectors import attach_classes

from .errors import AcademicsError, AcademicsErrorCode
from .interventions.letters import LETTER_KINDS, letter_render
from .interventions.scan import interventions_scan, session_on
from .interventions.services import (
    intervention_acknowledge,
    intervention_close,
    intervention_send,
    letter_template_save,
    meeting_add,
)
from .interventions.wording import DEFAULTS
from .models import AbsenceCode, AttendanceMark, Intervention, InterventionMeeting, LetterTemplate

MANAGE = "academics.manage_attendance"
VIEW = "academics.view_attendance"
Kind, State = Intervention.Kind, Intervention.State
# A section of the queue shows this many rows; the rest are a click away on the filtered list.
SECTION_ROWS = 50
PER_PAGE = 50
# What the services keep (Intervention.note, InterventionMeeting's texts, Intervention.outcome).
MAX_NOTE = 300
MAX_OUTCOME = 4000
MAX_ATTENDEES = 4000
MAX_MEETING_NOTES = 8000
MAX_SUBJECT = 200
MAX_BODY = 20000
PLACEHOLDERS = [
    ("student_name", "the pupil’s name"),
    ("guardian_name", "the guardian the letter goes to (“Parent or guardian” when unknown)"),
    ("school_name", "the school’s name"),
    ("class_name", "the pupil’s class"),
    ("days_count", "how many school days count"),
    ("days_list", "those days, e.g. “3 Nov, 10 Nov, 17 Nov”"),
    ("date", "the day the letter is sent"),
    ("officer_name", "who sends it"),
]


# --- the queue -------------------------------------------------------------------------------------


class QueueFilter(forms.Form):
    state = forms.ChoiceField(label="State", required=False, choices=[("", "Open: to act on"), *State.choices])
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Every kind"), *Kind.choices])


def _interventions(school):
    return Intervention.objects.for_school(school).select_related("student", "sent_by")


def _sections(school, kind):
    """The open work, most urgent first in each: drafts by the day the threshold was crossed,
    letters sent and SARB cases by the day they went out."""
    found = _interventions(school)
    if kind:
        found = found.filter(kind=kind)
    sections = [
        (
            "drafts",
            "Drafts to send",
            found.filter(state=State.DRAFT).order_by("crossed_on", "id"),
            {"state": State.DRAFT},
            "No draft waits to be sent. The scan drafts a letter when a pupil crosses a threshold.",
        ),
        (
            "sent",
            "Letters sent, awaiting acknowledgement",
            found.filter(state=State.SENT).exclude(kind=Kind.SARB_REFERRAL).order_by("sent_at", "id"),
            {"state": State.SENT},
            "No letter waits for the family’s acknowledgement.",
        ),
        (
            "sarb",
            "SARB cases open",
            found.filter(kind=Kind.SARB_REFERRAL, state__in=[State.SENT, State.ACKNOWLEDGED]).order_by("sent_at", "id"),
            {"state": State.SENT, "kind": Kind.SARB_REFERRAL},
            "No pupil is referred to the School Attendance Review Board.",
        ),
    ]
    shown = []
    for key, title, queryset, query, empty in sections:
        if kind and kind != Kind.SARB_REFERRAL and key == "sarb":
            continue
        if kind == Kind.SARB_REFERRAL and key == "sent":
            continue
        rows = list(queryset[: SECTION_ROWS + 1])
        count = len(rows) if len(rows) <= SECTION_ROWS else queryset.count()
        shown.append(
            {
                "key": key,
                "title": title,
                "rows": rows[:SECTION_ROWS],
                "count": count,
                "more_url": "?" + urlencode({**({"kind": kind} if kind else {}), **query}),
                "empty": empty,
                "show_sent": key != "drafts",
                "sent_label": "Referred" if key == "sarb" else "Sent",
            }
        )
    return shown


@require_GET
@school_view(perm=MANAGE)
def intervention_list(request):
    """The queue: drafts to send, letters awaiting acknowledgement and open SARB cases; with a
    state chosen, every intervention in that state, a page at a time."""
    school = request.school
    form = QueueFilter(request.GET)
    state = kind = ""
    if form.is_valid():
        state, kind = form.cleaned_data["state"], form.cleaned_data["kind"]
    context = {"form": form, "summary": error_summary(form), "state": state, "kind": kind}
    rows = []
    if state:
        found = _interventions(school).filter(state=state)
        if kind:
            found = found.filter(kind=kind)
        page = Paginator(found.order_by("-created_at", "-id"), PER_PAGE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        context.update(
            page=page, rows=rows, query_string=urlencode({"state": state, **({"kind": kind} if kind else {})})
        )
        context["state_label"] = State(state).label
    else:
        context["sections"] = sections = _sections(school, kind)
        rows = [row for section in sections for row in section["rows"]]
    attach_classes([row.student for row in rows], school=school, term=school.current_term())
    context["kind_label"] = Kind(kind).label if kind else ""
    return render(request, "academics/interventions/list.html", context)


SCAN_WORDS = {
    Kind.LETTER_1: "letter 1",
    Kind.LETTER_2: "letter 2",
    Kind.LETTER_3: "letter 3",
    Kind.SARB_REFERRAL: "SARB referral",
}


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


@require_POST
@school_view(perm=MANAGE)
def intervention_scan_now(request):
    """Run the daily scan now, for the school's today; the message says what it drafted."""
    school = request.school
    today = school.local_today()
    if session_on(school=school, date=today) is None:
        messages.error(request, f"No school year includes {today:%A} {today.day} {today:%B %Y}: nothing to scan.")
        return redirect("intervention-list", school.slug)
    result = interventions_scan(school=school, date=today, actor=request.user)
    created, cancelled = result["created"], result["cancelled"]
    drafted = [_plural(created[kind], SCAN_WORDS[kind]) for kind in Kind.values if created.get(kind)]
    said = f"The scan drafted {_and(drafted)}" if drafted else "The scan found no new threshold crossed"
    if cancelled:
        said += (
            f"; it cancelled {_plural(cancelled, 'draft')} that corrections left short of the days "
            f"{'it' if cancelled == 1 else 'they'} needed"
        )
    messages.success(request, said + ".")
    return redirect("intervention-list", school.slug)


def _and(parts):
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# --- one intervention ------------------------------------------------------------------------------


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=MAX_NOTE,
        help_text="How the family acknowledged it: the slip returned, a call, a meeting…",
    )


class CloseForm(forms.Form):
    # Not required here: the service says why, the same way the API hears it.
    outcome = forms.CharField(
        label="Outcome",
        required=False,
        max_length=MAX_OUTCOME,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was agreed or decided, or why the case is closed.",
    )


class MeetingForm(forms.Form):
    held_on = DateFormField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    attendees = forms.CharField(
        label="Attendees",
        required=False,
        max_length=MAX_ATTENDEES,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, with their part: “Mrs Bello (mother)”.",
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=MAX_MEETING_NOTES,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was said and agreed.",
    )


def _intervention(request, intervention_id):
    found = (
        _interventions(request.school).select_related("session").filter(pk=intervention_id).first()
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


def _page(request, intervention, *, status=200, acknowledge=None, close=None, meeting=None, open_form=""):
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
    return _page(request, _intervention(request, intervention_id))


def _refused(request, exc):
    """A state error (409: someone acted first) becomes a message; anything else stays on its form."""
    if exc.code == AcademicsErrorCode.INTERVENTION_STATE:
        reasons = [message for messages_ in exc.fields.values() for message in messages_]
        messages.error(request, " ".join([exc.message, *reasons]))
        return True
    if exc.code == AcademicsErrorCode.INTERVENTION_NOT_FOUND:
        raise Http404("No such intervention")
    return False


def _done(request, intervention):
    return redirect("intervention-detail", request.school.slug, intervention.pk)


@require_POST
@school_view(perm=MANAGE)
def intervention_send_view(request, intervention_id):
    """Send a drafted letter (or refer the pupil to SARB): the letter is rendered, kept as a PDF and
    sent to every guardian of the pupil."""
    intervention = _intervention(request, intervention_id)
    try:
        sent = intervention_send(school=request.school, intervention_id=intervention.pk, actor=request.user)
    except AcademicsError as exc:
        if not _refused(request, exc):
            messages.error(request, exc.message)
        return _page(request, intervention, status=exc.status_code)
    name = sent.student.full_name
    if sent.kind == Kind.SARB_REFERRAL:
        messages.success(request, f"{name} is referred to the School Attendance Review Board.")
    else:
        messages.success(
            request,
            f"{sent.get_kind_display()} sent to {name}’s family: the letter and its PDF are kept here, and each "
            "guardian is sent the link to it.",
        )
    return _done(request, sent)


@require_POST
@school_view(perm=MANAGE)
def intervention_acknowledge_view(request, intervention_id):
    intervention = _intervention(request, intervention_id)
    form = AcknowledgeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            intervention_acknowledge(
                school=request.school,
                intervention_id=intervention.pk,
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except AcademicsError as exc:
            status = exc.status_code
            if _refused(request, exc):
                return _page(request, intervention, status=status)
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Acknowledged by {intervention.student.full_name}’s family.")
            return _done(request, intervention)
    return _page(request, intervention, status=status, acknowledge=form, open_form="acknowledge")


@require_POST
@school_view(perm=MANAGE)
def intervention_close_view(request, intervention_id):
    intervention = _intervention(request, intervention_id)
    form = CloseForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            intervention_close(
                school=request.school,
                intervention_id=intervention.pk,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
            )
        except AcademicsError as exc:
            status = exc.status_code
            if _refused(request, exc):
                return _page(request, intervention, status=status)
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"{intervention.get_kind_display()} for {intervention.student.full_name} closed.")
            return _done(request, intervention)
    return _page(request, intervention, status=status, close=form, open_form="close")


@require_POST
@school_view(perm=MANAGE)
def intervention_meeting_add_view(request, intervention_id):
    intervention = _intervention(request, intervention_id)
    form = MeetingForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            meeting = meeting_add(
                school=request.school,
                intervention_id=intervention.pk,
                actor=request.user,
                held_on=data["held_on"],
                attendees=data["attendees"],
                notes=data["notes"],
            )
        except AcademicsError as exc:
            status = exc.status_code
            if _refused(request, exc):
                return _page(request, intervention, status=status)
            if "intervention" in exc.fields:
                # A cancelled intervention's page has no meeting form to show it on.
                messages.error(request, " ".join(exc.fields["intervention"]))
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, f"Meeting of {meeting.held_on:%A} {meeting.held_on.day} {meeting.held_on:%B} recorded."
            )
            return _done(request, intervention)
    return _page(request, intervention, status=status, meeting=form, open_form="meeting")


@never_cache
@require_GET
@school_view(perm=MANAGE)
def intervention_pdf(request, intervention_id):
    """The letter's PDF as it was sent, through a short-lived download link made at the click."""
    intervention = _intervention(request, intervention_id)
    if not intervention.pdf:
        raise Http404("This intervention has no letter")
    number = intervention.student.admission_number or str(intervention.student_id)
    url, _expires_at = download_url(
        intervention.pdf.name, filename=f"{intervention.kind.replace('_', '-')}-{number}.pdf"
    )
    return redirect(url)


# --- the school's wording --------------------------------------------------------------------------


class LetterForm(forms.Form):
    # Not required here: the service says why in words of its own.
    subject = forms.CharField(label="Subject", required=False, max_length=MAX_SUBJECT)
    body = forms.CharField(
        label="Letter",
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Leave a blank line between paragraphs.",
    )


LETTER_TITLES = {
    Kind.LETTER_1: ("Letter 1: truant", "After the school’s threshold of unexcused days (Education Code 48260.5)."),
    Kind.LETTER_2: ("Letter 2: truant again", "One more unexcused day after letter 1 went out (section 48261)."),
    Kind.LETTER_3: (
        "Letter 3: habitual truant",
        "One more after letter 2 (section 48262); a SARB referral is drafted with it.",
    ),
}


@require_http_methods(["GET", "POST"])
@school_view(perm=MANAGE)
def intervention_letters(request):
    """The school's wording of letters 1 to 3: the law's default until the school saves its own."""
    school = request.school
    saved = {t.kind: t for t in LetterTemplate.objects.for_school(school).filter(kind__in=LETTER_KINDS)}
    posted = request.POST.get("kind") if request.method == "POST" else None
    status = 200
    if posted is not None and posted not in LETTER_KINDS:
        messages.error(request, "Choose letter 1, 2 or 3.")
        posted, status = None, 400
    letters = []
    for kind in LETTER_KINDS:
        subject, body = (saved[kind].subject, saved[kind].body) if kind in saved else DEFAULTS[kind]
        if kind == posted:
            form = LetterForm(request.POST, prefix=kind)
            if form.is_valid():
                try:
                    letter_template_save(
                        school=school,
                        kind=kind,
                        subject=form.cleaned_data["subject"],
                        body=form.cleaned_data["body"],
                        actor=request.user,
                    )
                except AcademicsError as exc:
                    apply_domain_error(form, exc)
                    status = exc.status_code
                else:
                    messages.success(request, f"{LETTER_TITLES[kind][0]}: the school’s wording is saved.")
                    return redirect("intervention-letters", school.slug)
            if status == 200:
                status = 400
        else:
            form = LetterForm(initial={"subject": subject, "body": body}, prefix=kind)
        title, when = LETTER_TITLES[kind]
        letters.append(
            {
                "kind": kind,
                "title": title,
                "short": SCAN_WORDS[kind],
                "when": when,
                "form": form,
                "summary": error_summary(form),
                "saved": saved.get(kind),
                "default_subject": DEFAULTS[kind][0],
                "default_body": DEFAULTS[kind][1],
            }
        )
    context = {"letters": letters, "placeholders": PLACEHOLDERS}
    return render(request, "academics/interventions/letters.html", context, status=status)
