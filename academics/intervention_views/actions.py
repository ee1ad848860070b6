"""What the officer does to one intervention: send it, record the family's acknowledgement, close
it, add a meeting. A refused action shows the intervention's page again."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from classpoint.forms import apply_domain_error
from classpoint.tenancy import school_view

from ..errors import AcademicsError, AcademicsErrorCode
from ..interventions.services import intervention_acknowledge, intervention_close, intervention_send, meeting_add
from .common import MANAGE, Kind
from .detail import AcknowledgeForm, CloseForm, MeetingForm, find_intervention, intervention_page


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
    intervention = find_intervention(request, intervention_id)
    try:
        sent = intervention_send(school=request.school, intervention_id=intervention.pk, actor=request.user)
    except AcademicsError as exc:
        if not _refused(request, exc):
            messages.error(request, exc.message)
        return intervention_page(request, intervention, status=exc.status_code)
    name = sent.student.full_name
    if sent.kind == Kind.SARB_REFERRAL:
        messages.success(
            request, gettext("%(name)s is referred to the School Attendance Review Board.") % {"name": name}
        )
    else:
        said = gettext(
            "%(kind)s sent to %(name)s’s family: the letter and its PDF are kept here, and each guardian is sent "
            "the link to it."
        )
        messages.success(request, said % {"kind": sent.get_kind_display(), "name": name})
    return _done(request, sent)


def _act(request, intervention, name, form, service, said):
    """Run `service` with the posted `form`, whose fields are the service's arguments; once it is done,
    `said` of what it returns is the message and the officer is back on the intervention. A refused
    action shows the page again with the form open on its errors (400, or the error's status)."""
    status = 400
    if form.is_valid():
        try:
            done = service(
                school=request.school, intervention_id=intervention.pk, actor=request.user, **form.cleaned_data
            )
        except AcademicsError as exc:
            status = exc.status_code
            if _refused(request, exc):
                return intervention_page(request, intervention, status=status)
            if "intervention" in exc.fields:
                # A cancelled intervention's page has no meeting form to show it on.
                messages.error(request, " ".join(exc.fields["intervention"]))
            apply_domain_error(form, exc)
        else:
            messages.success(request, said(done))
            return _done(request, intervention)
    return intervention_page(request, intervention, status=status, open_form=name, **{name: form})


@require_POST
@school_view(perm=MANAGE)
def intervention_acknowledge_view(request, intervention_id):
    return _act(
        request,
        find_intervention(request, intervention_id),
        "acknowledge",
        AcknowledgeForm(request.POST),
        intervention_acknowledge,
        lambda acknowledged: gettext("Acknowledged by %(name)s’s family.") % {"name": acknowledged.student.full_name},
    )


@require_POST
@school_view(perm=MANAGE)
def intervention_close_view(request, intervention_id):
    return _act(
        request,
        find_intervention(request, intervention_id),
        "close",
        CloseForm(request.POST),
        intervention_close,
        lambda closed: (
            gettext("%(kind)s for %(name)s closed.")
            % {"kind": closed.get_kind_display(), "name": closed.student.full_name}
        ),
    )


@require_POST
@school_view(perm=MANAGE)
def intervention_meeting_add_view(request, intervention_id):
    return _act(
        request,
        find_intervention(request, intervention_id),
        "meeting",
        MeetingForm(request.POST),
        meeting_add,
        lambda meeting: (
            gettext("Meeting of %(day)s recorded.")
            % {"day": f"{meeting.held_on:%A} {meeting.held_on.day} {meeting.held_on:%B}"}
        ),
    )
