"""The year-end rollover, write side: one transaction that opens the next session and moves every
pupil of the last term on (promoted, repeating, graduated or left), exactly as the dry run showed.

Once per session: the school's row lock, then the session's, serialise two admins (or an admin and
the operator's command) confirming at once; whoever comes second finds the Rollover row and changes
nothing. The unique constraint on (school, from_session) is the backstop, and the one-active-
enrolment-per-term constraint stops a pupil from being enrolled twice whatever happens."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit

from ..models import AcademicSession, Enrollment, Rollover, School, Student, Term
from ..rollover_plan import GRADUATES, LEAVE, PROMOTE, REPEAT, load_roll, outcome_of, rollover_state
from ..year_errors import YearError, YearErrorCode
from .calendar import term_set_current


@dataclass
class RolloverResult:
    rollover: Rollover
    created: bool  # False: the session had been rolled over already, and nothing changed
    outcome: object = None  # what was done (None when nothing was)


@transaction.atomic
def rollover_run(*, school, actor, from_session_id, plan, fingerprint=None):
    """Roll `school` from the session `from_session_id` into the one `plan` names. `fingerprint`:
    the dry run's (`Outcome.fingerprint`) the admin confirmed; when given, a roll that has changed
    since is refused rather than done differently from what was shown."""
    School.objects.select_for_update().filter(pk=school.pk).first()
    session = AcademicSession.objects.select_for_update().filter(school=school, pk=from_session_id).first()
    if session is None:
        raise YearError(_("No such session."), code=YearErrorCode.ROLLOVER_NOT_READY)
    done = _done(school, session)
    if done is not None:
        return RolloverResult(rollover=done, created=False)
    state = rollover_state(school)
    if not state.ready or state.session.pk != session.pk:
        raise YearError(
            state.reason or _("%(session)s is not the session to roll from.") % {"session": session},
            code=YearErrorCode.ROLLOVER_NOT_READY,
        )
    roll = load_roll(school, state.term)
    outcome = outcome_of(school, state, plan, roll, lock=True)
    if outcome.errors:
        raise YearError(_("Correct the new session's details."), code=YearErrorCode.YEAR_INVALID, fields=outcome.errors)
    if outcome.problems:
        raise YearError(
            " ".join(outcome.problems), code=YearErrorCode.ROLLOVER_BLOCKED, fields={"plan": outcome.problems}
        )
    if fingerprint is not None and fingerprint != outcome.fingerprint:
        raise YearError(
            _("The roll has changed since this dry run: check the new dry run and confirm again."),
            code=YearErrorCode.ROLLOVER_STALE,
        )
    try:
        with transaction.atomic():
            to_session, terms = _open_session(school, actor, outcome)
            rollover = Rollover.objects.create(
                school=school, from_session=session, to_session=to_session, plan=plan.as_json(), created_by=_user(actor)
            )
    except IntegrityError:
        # Another rollover of this session got there between our check and our insert.
        done = _done(school, session)
        if done is None:
            raise
        return RolloverResult(rollover=done, created=False)
    _move_pupils(school, actor, state, outcome, terms[0])
    term_set_current(term=terms[0], actor=actor)
    rollover.summary = outcome.summary()
    rollover.save(update_fields=["summary"])
    audit(
        school=school,
        actor=actor,
        action="rollover.completed",
        target=rollover,
        changes={"from": str(session), "to": str(to_session), **rollover.summary},
    )
    return RolloverResult(rollover=rollover, created=True, outcome=outcome)


def _done(school, session):
    return Rollover.objects.for_school(school).filter(from_session=session).select_related("to_session").first()


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _open_session(school, actor, outcome):
    """The session rolled into, with its terms first to last: the one named, made now with its
    terms, or the one the school had made already."""
    if outcome.existing_session is not None:
        return outcome.existing_session, outcome.existing_terms
    plan = outcome.plan
    session = AcademicSession.objects.create(
        school=school, name=plan.name, start_date=plan.start_date, end_date=plan.end_date
    )
    audit(school=school, actor=actor, action="session.created", target=session)
    terms = []
    for term_plan in plan.terms:
        term = Term.objects.create(
            school=school,
            session=session,
            name=term_plan.name,
            start_date=term_plan.start_date,
            end_date=term_plan.end_date,
        )
        audit(school=school, actor=actor, action="term.created", target=term)
        terms.append(term)
    return session, terms


def _end_reason(pupil):
    if pupil.action == PROMOTE:
        return f"Promoted to {pupil.target}"
    if pupil.action == REPEAT:
        return f"Repeating {pupil.target}"
    if pupil.action == GRADUATES:
        return "Graduated"
    if pupil.action == LEAVE:
        return f"Left: {pupil.reason}"
    return f"Not carried ({pupil.reason})"


def _move_pupils(school, actor, state, outcome, first_term):
    """End every place of the last term (the day after its last day), give each carried pupil a
    place in the new term's first term, and mark graduates and leavers as gone. Each end is
    conditional on the place still being active: one that changed under us undoes everything."""
    ended_on = state.last_term.end_date + datetime.timedelta(days=1)
    left_on = state.last_term.end_date
    pupils = [p for row in outcome.classes for p in row.pupils]
    by_reason = {}
    for pupil in pupils:
        by_reason.setdefault(_end_reason(pupil), []).append(pupil.enrollment.pk)
    for reason, ids in by_reason.items():
        ended = Enrollment.objects.filter(school=school, pk__in=ids, status=Enrollment.Status.ACTIVE).update(
            status=Enrollment.Status.ENDED, ended_on=ended_on, end_reason=reason[:200]
        )
        if ended != len(ids):
            raise YearError(
                _("A pupil's place changed while the rollover ran: nothing was changed. Try again."),
                code=YearErrorCode.ROLLOVER_STALE,
            )
    places = [
        Enrollment(school=school, student=p.student, term=first_term, class_group=p.target)
        for p in pupils
        if p.action in (PROMOTE, REPEAT)
    ]
    try:
        with transaction.atomic():
            Enrollment.objects.bulk_create(places)
    except IntegrityError as exc:
        raise YearError(
            _("A pupil was enrolled for %(term)s while the rollover ran: nothing was changed. Try again.")
            % {"term": first_term},
            code=YearErrorCode.ROLLOVER_STALE,
        ) from exc
    now = timezone.now()
    for pupil in pupils:
        if pupil.action == GRADUATES:
            status, reason = (
                Student.Status.GRADUATED,
                f"Graduated from {pupil.enrollment.class_group} ({state.session})",
            )
        elif pupil.action == LEAVE:
            status, reason = Student.Status.WITHDRAWN, pupil.reason
        else:
            continue
        student = pupil.student
        Student.objects.filter(pk=student.pk).update(
            status=status, left_on=left_on, leaving_reason=reason, updated_at=now
        )
        audit(
            school=school,
            actor=actor,
            action="student.left",
            target=student,
            changes={"status": [student.status, status], "left_on": str(left_on), "reason": reason},
        )
