"""Locking a class's term of scores, and changing a locked score by an amendment.

Once the school's results manager locks a class group's term, its grids are read-only: a score then
changes only by an amendment, which keeps what the cell held, what it became, why and who (a
ScoreAmendment row and an audit entry) and raises the row's version like any save.
"""

from django.db import transaction

from classpoint.audit import audit

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import ResultsLock, Score, ScoreAmendment
from . import compute
from .policy import bands_of, policy_for
from .scores import (
    arithmetic_of,
    check_grid,
    components_by_id,
    lock_of,
    lock_rows,
    require_manager,
    row_state,
    stored_cells,
)
from .selectors import class_pupils

MAX_REASON = 200


@transaction.atomic
def results_lock(*, school, actor, term, class_group, membership=None):
    """Lock a class's scores for a term: from now on a score changes only by an amendment. Locking a
    locked class answers with its lock."""
    require_manager(school=school, actor=actor, membership=membership, what="lock results")
    lock, created = ResultsLock.objects.for_school(school).get_or_create(
        school=school,
        term=term,
        class_group=class_group,
        defaults={"locked_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    if created:
        audit(
            school=school,
            actor=actor,
            action="results.locked",
            target=lock,
            target_label=f"{class_group.name}, {term.name}",
            changes={"term": term.pk, "class_group": class_group.pk},
        )
    return lock


@transaction.atomic
def results_unlock(*, school, actor, term, class_group, membership=None):
    require_manager(school=school, actor=actor, membership=membership, what="unlock results")
    lock = ResultsLock.objects.for_school(school).select_for_update().filter(term=term, class_group=class_group).first()
    if lock is None:
        raise AcademicsError(f"{class_group.name}'s scores are not locked.", code=AcademicsErrorCode.RESULTS_NOT_LOCKED)
    audit(
        school=school,
        actor=actor,
        action="results.unlocked",
        target=lock,
        target_label=f"{class_group.name}, {term.name}",
        changes={"term": term.pk, "class_group": class_group.pk},
    )
    lock.delete()


@transaction.atomic
def score_amend(
    *, school, actor, term, class_group, subject, student, component, text, reason, membership=None, via="workspace"
):
    """Change a locked score, with the reason kept beside what it was and what it became
    (ScoreAmendment) and in the audit log. Returns the row's state."""
    check_grid(school=school, actor=actor, membership=membership, term=term, class_group=class_group, subject=subject)
    require_manager(school=school, actor=actor, membership=membership, what="amend locked scores")
    if lock_of(school=school, term=term, class_group=class_group) is None:
        raise AcademicsError(
            f"{class_group.name}'s scores are not locked: change the score in the grid.",
            code=AcademicsErrorCode.RESULTS_NOT_LOCKED,
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise AcademicsError(
            "Say why the score changes.",
            code=AcademicsErrorCode.REASON_REQUIRED,
            fields={"reason": ["Give the reason for the change."]},
        )
    if len(reason) > MAX_REASON:
        raise AcademicsError(
            "The reason is too long.",
            code=AcademicsErrorCode.REASON_REQUIRED,
            fields={"reason": [f"Keep the reason under {MAX_REASON} characters."]},
        )
    components = components_by_id(school, term)
    if component.pk not in components:
        raise AcademicsError(
            "No such assessment in this term.",
            code=AcademicsErrorCode.SCORE_INVALID,
            fields={"component": ["No such assessment."]},
        )
    if student.pk not in {p.pk for p in class_pupils(school=school, term=term, class_group=class_group)}:
        raise AcademicsError(
            f"This pupil is not in {class_group.name} this term.",
            code=AcademicsErrorCode.SCORE_INVALID,
            fields={"student": [f"Not in {class_group.name} this term."]},
        )
    try:
        new = compute.parse_cell(text, max_score=component.max_score)
    except ValueError as exc:
        raise AcademicsError(str(exc), code=AcademicsErrorCode.SCORE_INVALID, fields={"text": [str(exc)]}) from None
    row = lock_rows(school=school, term=term, class_group=class_group, subject=subject, student_ids=[student.pk])[
        student.pk
    ]
    cells = stored_cells(school, [row])[row.pk]
    old = cells.get(component.pk, compute.BLANK)
    if str(old) == str(new):
        message = f"The score is already {old or 'blank'}: nothing to amend."
        raise AcademicsError(message, code=AcademicsErrorCode.SCORE_INVALID, fields={"text": [message]})
    Score.objects.update_or_create(
        school=school, row=row, component=component, defaults={"value": new.value, "absent": new.absent}
    )
    user = actor if getattr(actor, "is_authenticated", False) else None
    amendment = ScoreAmendment.objects.create(
        school=school,
        row=row,
        component=component,
        old_value=old.value,
        old_absent=old.absent,
        new_value=new.value,
        new_absent=new.absent,
        reason=reason,
        amended_by=user,
    )
    row.version += 1
    row.updated_by = user
    row.save(update_fields=["version", "updated_by", "updated_at"])
    audit(
        school=school,
        actor=actor,
        action="scores.amended",
        target=amendment,
        target_label=f"{student.full_name}, {subject.name} {component.name}",
        changes={
            "term": term.pk,
            "class_group": class_group.pk,
            "subject": subject.pk,
            "student": student.pk,
            "component": component.pk,
            "old": str(old),
            "new": str(new),
            "reason": reason,
            "via": via,
        },
    )
    cells[component.pk] = new
    return row_state(row, cells, components, arithmetic_of(components), bands_of(policy_for(school).grade_scale))
