"""Academic sessions and their terms."""

from django.db import transaction

from classpoint.audit import audit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import AcademicSession, Term
from ._base import field_changes


@transaction.atomic
def session_create(*, school, actor, name, start_date, end_date, is_current=False):
    if school.sessions.filter(name=name).exists():
        raise SchoolsError(
            "Session exists.",
            code=SchoolsErrorCode.SESSION_EXISTS,
            fields={"name": [f"A session “{name}” already exists."]},
        )
    if is_current:
        school.sessions.filter(is_current=True).update(is_current=False)
    session = AcademicSession(school=school, name=name, start_date=start_date, end_date=end_date, is_current=is_current)
    _check_dates(start_date, end_date)
    session.save()
    audit(school=school, actor=actor, action="session.created", target=session)
    return session


def _check_dates(start_date, end_date):
    if start_date and end_date and end_date <= start_date:
        raise SchoolsError(
            "Dates out of order.",
            code=SchoolsErrorCode.DATES_OUT_OF_ORDER,
            fields={"end_date": ["The end date must be after the start date."]},
        )


TERM_FIELDS = ("name", "start_date", "end_date", "is_current")


@transaction.atomic
def term_create(*, school, actor, session, name, start_date, end_date, is_current=False):
    if session.school_id != school.pk:
        raise SchoolsError(
            "Session not found.", code=SchoolsErrorCode.SESSION_NOT_FOUND, fields={"session": ["Not found."]}
        )
    if session.terms.filter(name=name).exists():
        raise SchoolsError(
            "Term exists.",
            code=SchoolsErrorCode.TERM_EXISTS,
            fields={"name": [f"“{name}” already exists in {session.name}."]},
        )
    _check_dates(start_date, end_date)
    if is_current:
        school.terms.filter(is_current=True).update(is_current=False)
    term = Term.objects.create(
        school=school, session=session, name=name, start_date=start_date, end_date=end_date, is_current=is_current
    )
    audit(school=school, actor=actor, action="term.created", target=term)
    return term


@transaction.atomic
def term_update(*, term, actor, **data):
    data = {k: v for k, v in data.items() if k in TERM_FIELDS}
    if "name" in data and term.session.terms.filter(name=data["name"]).exclude(pk=term.pk).exists():
        raise SchoolsError(
            "Term exists.",
            code=SchoolsErrorCode.TERM_EXISTS,
            fields={"name": ["Another term in this session has this name."]},
        )
    _check_dates(data.get("start_date", term.start_date), data.get("end_date", term.end_date))
    if data.get("is_current"):
        term.school.terms.filter(is_current=True).exclude(pk=term.pk).update(is_current=False)
    changes = field_changes(term, data, TERM_FIELDS)
    for key, value in data.items():
        setattr(term, key, value)
    term.save()
    if changes:
        audit(school=term.school, actor=actor, action="term.updated", target=term, changes=changes)
    return term
