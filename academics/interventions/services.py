"""What staff do with an intervention: send a letter (rendered, kept as PDF, and sent to the family
through messaging), refer to SARB, record the family's acknowledgement, close with an outcome, add a
meeting, edit the school's wording. Keyword-only, atomic, audited; one outcome under concurrent
clicks (the row is locked and its state checked)."""

from django.db import transaction
from django.utils import timezone

from classpoint.audit import audit
from classpoint.messages import request_message
from schools.models import StudentGuardian

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import Intervention, InterventionMeeting, LetterTemplate
from .letters import LETTER_KINDS, guardian_letter_link, letter_render, letter_store

State = Intervention.State
MOVES = {
    "send": ({State.DRAFT}, State.SENT),
    "acknowledge": ({State.SENT}, State.ACKNOWLEDGED),
    "close": ({State.DRAFT, State.SENT, State.ACKNOWLEDGED}, State.CLOSED),
}
DONE = {"send": "sent", "acknowledge": "acknowledged", "close": "closed"}


def _locked(*, school, intervention_id):
    found = (
        Intervention.objects.for_school(school)
        .select_for_update(of=("self",))
        .select_related("student", "school")
        .filter(pk=intervention_id)
        .first()
    )
    if found is None:
        raise AcademicsError(
            "Not found in this school.",
            code=AcademicsErrorCode.INTERVENTION_NOT_FOUND,
            fields={"intervention": ["Not found in this school."]},
        )
    return found


def _move(intervention, move):
    allowed, _ = MOVES[move]
    if intervention.state not in allowed:
        raise AcademicsError(
            f"This {intervention.get_kind_display().lower()} is {intervention.get_state_display().lower()}.",
            code=AcademicsErrorCode.INTERVENTION_STATE,
            fields={"state": [f"It cannot be {DONE[move]} now: it is {intervention.state}."]},
        )


def _name(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@transaction.atomic
def intervention_send(*, school, intervention_id, actor):
    """Send a drafted letter: render it in the school's wording, keep the text and the PDF, and ask
    messaging to send each guardian their link to it (email with the link, an SMS notice; consent and
    quiet hours apply). A SARB referral is "sent" when the case is referred: no letter goes out."""
    intervention = _locked(school=school, intervention_id=intervention_id)
    _move(intervention, "send")
    if intervention.kind in LETTER_KINDS:
        subject, body = letter_render(intervention=intervention, officer_name=_name(actor))
        intervention.subject, intervention.body = subject, body
        intervention.pdf.name = letter_store(intervention=intervention, subject=subject, body=body)
        _tell_family(school=school, intervention=intervention, subject=subject)
    intervention.state = State.SENT
    intervention.sent_at, intervention.sent_by = timezone.now(), actor if _is_user(actor) else None
    intervention.save()
    audit(
        school=school, actor=actor, action="intervention.sent", target=intervention, changes={"kind": intervention.kind}
    )
    return intervention


def _tell_family(*, school, intervention, subject):
    student = intervention.student
    links = (
        StudentGuardian.objects.for_school(school)
        .filter(student=student)
        .select_related("guardian")
        .order_by("-is_primary", "id")
    )
    for link in links:
        guardian = link.guardian
        request_message(
            school=school,
            template="TRUANCY_LETTER",
            guardian_ids=[guardian.pk],
            student_id=student.pk,
            context={
                "school_name": school.name,
                "student_name": f"{student.first_name} {student.last_name}",
                "guardian_name": f"{guardian.first_name} {guardian.last_name}".strip(),
                "letter_title": subject,
                "days_count": str(len(intervention.counted_days)),
                "letter_link": guardian_letter_link(intervention=intervention, guardian=guardian),
            },
            dedupe_key=f"truancy-letter:{intervention.pk}:{guardian.pk}",
            reason=f"intervention.{intervention.kind}",
        )


@transaction.atomic
def intervention_acknowledge(*, school, intervention_id, actor, note=""):
    """The family acknowledged the letter (signed slip returned, a call, a meeting)."""
    intervention = _locked(school=school, intervention_id=intervention_id)
    _move(intervention, "acknowledge")
    intervention.state, intervention.acknowledged_at = State.ACKNOWLEDGED, timezone.now()
    intervention.note = " ".join((note or "").split())[:300]
    intervention.save()
    audit(
        school=school,
        actor=actor,
        action="intervention.acknowledged",
        target=intervention,
        changes={"note": intervention.note},
    )
    return intervention


@transaction.atomic
def intervention_close(*, school, intervention_id, actor, outcome):
    """Close the intervention with its outcome (required: what was agreed or decided)."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise AcademicsError(
            "Say how it ended.",
            code=AcademicsErrorCode.OUTCOME_REQUIRED,
            fields={"outcome": ["Write the outcome: what was agreed, or why it is closed."]},
        )
    intervention = _locked(school=school, intervention_id=intervention_id)
    _move(intervention, "close")
    intervention.state, intervention.closed_at, intervention.outcome = State.CLOSED, timezone.now(), outcome[:4000]
    intervention.save()
    audit(
        school=school,
        actor=actor,
        action="intervention.closed",
        target=intervention,
        changes={"outcome": outcome[:200]},
    )
    return intervention


@transaction.atomic
def meeting_add(*, school, intervention_id, actor, held_on, attendees, notes=""):
    """Record a meeting of the case (a SARB hearing, a conference with the family)."""
    intervention = _locked(school=school, intervention_id=intervention_id)
    errors = {}
    attendees = "\n".join(line.strip() for line in (attendees or "").splitlines() if line.strip())
    if held_on is None:
        errors["held_on"] = ["Give the date of the meeting."]
    elif held_on > school.local_today():
        errors["held_on"] = ["Record a meeting once it has taken place."]
    if not attendees:
        errors["attendees"] = ["Who attended? One per line."]
    if intervention.state == State.CANCELLED:
        errors["intervention"] = ["This intervention was cancelled."]
    if errors:
        raise AcademicsError("The meeting needs attention.", code=AcademicsErrorCode.MEETING_INVALID, fields=errors)
    meeting = InterventionMeeting.objects.create(
        school=school,
        intervention=intervention,
        held_on=held_on,
        attendees=attendees[:4000],
        notes=(notes or "").strip()[:8000],
        created_by=actor if _is_user(actor) else None,
    )
    audit(
        school=school,
        actor=actor,
        action="intervention.meeting_added",
        target=intervention,
        changes={"held_on": str(held_on)},
    )
    return meeting


@transaction.atomic
def letter_template_save(*, school, kind, subject, body, actor):
    """The school's own wording of letter `kind` (placeholders as on LetterTemplate)."""
    errors = {}
    if kind not in LETTER_KINDS:
        errors["kind"] = ["Choose letter 1, 2 or 3."]
    if not (subject or "").strip():
        errors["subject"] = ["Give the letter a subject."]
    if not (body or "").strip():
        errors["body"] = ["Write the letter."]
    for field, text in (("subject", subject or ""), ("body", body or "")):
        try:
            text.format_map(_Check())
        except (ValueError, IndexError) as exc:
            errors.setdefault(field, []).append(f"A placeholder is broken ({exc}); write it like {{student_name}}.")
    if errors:
        raise AcademicsError("The letter needs attention.", code=AcademicsErrorCode.LETTER_INVALID, fields=errors)
    template, _ = LetterTemplate.objects.for_school(school).update_or_create(
        school=school, kind=kind, defaults={"subject": subject.strip()[:200], "body": body.strip()}
    )
    audit(school=school, actor=actor, action="letter_template.saved", target=template, changes={"kind": kind})
    return template


class _Check(dict):
    def __missing__(self, key):
        return ""


def _is_user(actor):
    return getattr(actor, "is_authenticated", False)
