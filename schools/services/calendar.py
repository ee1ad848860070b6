"""Academic sessions and their terms.

One session and one term are current per school, and the current term belongs to the current
session: making a term current makes its session current too (in one transaction, under the
school's row lock, so two admins switching terms at once cannot leave two current rows)."""

from django.db import transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import AcademicSession, Enrollment, School, Term
from ._base import field_changes
from .enrolment import ON_ROLL

SESSION_FIELDS = ("name", "start_date", "end_date")


@transaction.atomic
def session_create(*, school, actor, name, start_date, end_date, is_current=False):
    if school.sessions.filter(name=name).exists():
        raise SchoolsError(
            _("Session exists."),
            code=SchoolsErrorCode.SESSION_EXISTS,
            fields={"name": [_("A session “%(name)s” already exists.") % {"name": name}]},
        )
    _check_dates(start_date, end_date)
    if is_current:
        _lock_school(school)
        school.sessions.filter(is_current=True).update(is_current=False)
    session = AcademicSession(school=school, name=name, start_date=start_date, end_date=end_date, is_current=is_current)
    session.save()
    audit(school=school, actor=actor, action="session.created", target=session)
    return session


@transaction.atomic
def session_update(*, session, actor, **data):
    """Rename a session or move its dates (which session is current follows its terms)."""
    data = {k: v for k, v in data.items() if k in SESSION_FIELDS}
    school = session.school
    if "name" in data and school.sessions.filter(name=data["name"]).exclude(pk=session.pk).exists():
        raise SchoolsError(
            _("Session exists."),
            code=SchoolsErrorCode.SESSION_EXISTS,
            fields={"name": [_("A session “%(name)s” already exists.") % {"name": data["name"]}]},
        )
    _check_dates(data.get("start_date", session.start_date), data.get("end_date", session.end_date))
    changes = field_changes(session, data, SESSION_FIELDS)
    for key, value in data.items():
        setattr(session, key, value)
    session.save()
    if changes:
        audit(school=school, actor=actor, action="session.updated", target=session, changes=changes)
    return session


def _lock_school(school):
    """The school's row lock: switching the current session or term takes it first, so concurrent
    switches queue instead of meeting the one-current constraints."""
    School.objects.select_for_update().filter(pk=school.pk).first()


def _carry_class_lists(*, before, term, actor):
    """Carry the class lists forward when a later term of the same session becomes current.

    Enrolments are per term, so without this the second term would open with empty registers,
    empty results grids and nothing for the rollover to promote. Each pupil still on roll in the
    term that was current is placed in the same class for `term`, unless they already have a place
    there (an admission made for that term, or an earlier switch forward and back). A term of
    another session is reached by the rollover, which promotes instead; an earlier term is history,
    so going back copies nothing. Runs under the school's row lock taken by `_make_current`."""
    if before is None or before.session_id != term.session_id or before.start_date >= term.start_date:
        return 0
    school = term.school
    placed = school.enrollments.filter(term=term, status=Enrollment.Status.ACTIVE).values("student_id")
    carried = [
        Enrollment(school=school, student_id=student_id, term=term, class_group_id=class_group_id)
        for student_id, class_group_id in school.enrollments.filter(
            term=before, status=Enrollment.Status.ACTIVE, student__status__in=ON_ROLL
        )
        .exclude(student_id__in=placed)
        .order_by("pk")
        .values_list("student_id", "class_group_id")
    ]
    # ignore_conflicts: a registrar enrolling a pupil into this term at the same moment keeps their
    # place; the partial unique index (one active enrolment per pupil and term) decides.
    Enrollment.objects.bulk_create(carried, ignore_conflicts=True)
    if carried:
        audit(
            school=school,
            actor=actor,
            action="term.class_lists_carried",
            target=term,
            changes={"pupils": [0, len(carried)], "from_term": [str(before), str(term)]},
        )
    return len(carried)


def _make_current(term):
    """Make `term` and its session the school's current ones; returns what was current before."""
    school = term.school
    _lock_school(school)
    before = school.terms.filter(is_current=True).exclude(pk=term.pk).select_related("session").first()
    school.terms.filter(is_current=True).exclude(pk=term.pk).update(is_current=False)
    school.sessions.filter(is_current=True).exclude(pk=term.session_id).update(is_current=False)
    if not term.session.is_current:
        AcademicSession.objects.filter(pk=term.session_id).update(is_current=True)
        term.session.is_current = True
    return before


def _check_dates(start_date, end_date):
    if start_date and end_date and end_date <= start_date:
        raise SchoolsError(
            _("Dates out of order."),
            code=SchoolsErrorCode.DATES_OUT_OF_ORDER,
            fields={"end_date": [_("The end date must be after the start date.")]},
        )


TERM_FIELDS = ("name", "start_date", "end_date", "is_current")


@transaction.atomic
def term_create(*, school, actor, session, name, start_date, end_date, is_current=False):
    if session.school_id != school.pk:
        raise SchoolsError(
            _("Session not found."), code=SchoolsErrorCode.SESSION_NOT_FOUND, fields={"session": [_("Not found.")]}
        )
    if session.terms.filter(name=name).exists():
        raise SchoolsError(
            _("Term exists."),
            code=SchoolsErrorCode.TERM_EXISTS,
            fields={"name": [_("“%(name)s” already exists in %(session)s.") % {"name": name, "session": session.name}]},
        )
    _check_dates(start_date, end_date)
    term = Term(school=school, session=session, name=name, start_date=start_date, end_date=end_date)
    before = _make_current(term) if is_current else None
    term.is_current = is_current
    term.save()
    audit(school=school, actor=actor, action="term.created", target=term)
    _carry_class_lists(before=before, term=term, actor=actor)
    return term


@transaction.atomic
def term_update(*, term, actor, **data):
    data = {k: v for k, v in data.items() if k in TERM_FIELDS}
    if "name" in data and term.session.terms.filter(name=data["name"]).exclude(pk=term.pk).exists():
        raise SchoolsError(
            _("Term exists."),
            code=SchoolsErrorCode.TERM_EXISTS,
            fields={"name": [_("Another term in this session has this name.")]},
        )
    _check_dates(data.get("start_date", term.start_date), data.get("end_date", term.end_date))
    before = _make_current(term) if data.get("is_current") else None
    changes = field_changes(term, data, TERM_FIELDS)
    for key, value in data.items():
        setattr(term, key, value)
    term.save()
    if changes:
        audit(school=term.school, actor=actor, action="term.updated", target=term, changes=changes)
    _carry_class_lists(before=before, term=term, actor=actor)
    return term


@transaction.atomic
def term_set_current(*, term, actor):
    """Make `term` the school's current term (and its session the current session).

    `term.carried_pupils` says how many pupils the switch placed in the term's classes."""
    term.carried_pupils = 0
    if term.is_current and term.session.is_current:
        return term
    before = _make_current(term)
    term.is_current = True
    term.save(update_fields=["is_current"])
    audit(
        school=term.school,
        actor=actor,
        action="term.made_current",
        target=term,
        changes={"current_term": [str(before) if before else "", str(term)]},
    )
    term.carried_pupils = _carry_class_lists(before=before, term=term, actor=actor)
    return term
