"""Score entry: saving a teacher's cells (locking a class's term and amending a locked score: locks.py).

Two teachers never overwrite each other silently. Each pupil's row in a grid carries a version that
every applied save raises; a save says which version and which text of the cell it was typed over.
Under a lock on the row, the save applies when the row is still at that version, or when the cell
still holds what the teacher saw (someone changed another cell of the row: the answer carries the
whole row, so the grid refreshes it). Otherwise the cell is the other teacher's newer work: it is
not applied, and the answer says what it holds now, who saved it and the row's version, so the
teacher keeps theirs (saving again over that version) or takes the other's.

A cell typed over a value that it still shows untouched (seen == new) is not a change, whatever the
row holds now: a whole grid posted back by a form changes only what the teacher changed. A save of
what the cell already holds applies trivially, so a retry after a lost answer is harmless.

Grid saves (the form without JavaScript, a CSV import, the API's bulk path) are one transaction with
a handful of queries whatever the size of the class: rows are created in bulk (ignoring the ones a
concurrent first save made), locked in id order, cells are upserted in one statement, and one audit
row records the save. Any invalid cell refuses the whole save with an error per cell, before any write.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from classpoint.audit import audit
from schools.selectors import membership_of

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import AssessmentComponent, ResultsLock, Score, ScoreRow
from . import compute
from .grids import MANAGE, may_enter, row_figures, user_name
from .policy import bands_of, policy_for
from .selectors import class_pupils

MAX_ROWS = 500  # rows in one grid save: far more than any class
# What a stored cell can hold (Score.value: six digits, two decimals): a text "seen" by a client is
# read with this bound, so a seen text names the same cell however it was written ("7.50", "7,5").
MAX_STORED = Decimal("9999.99")


def cell_field(student_id, component_id):
    """The name of a cell's input and of its errors: cell-<student_id>-<component_id>."""
    return f"cell-{student_id}-{component_id}"


@dataclass
class CellConflict:
    """A cell this save did not apply: another save changed it since the teacher read it."""

    student_id: int
    component_id: int
    mine: str  # what this save wanted
    theirs: str  # what the cell holds now
    updated_by: str  # who saved the row last
    version: int  # the row's version now: saving again over it applies
    row: dict = field(default_factory=dict)  # the row's state now

    def as_dict(self):
        return {
            "student_id": self.student_id,
            "component_id": self.component_id,
            "mine": self.mine,
            "text": self.theirs,
            "updated_by": self.updated_by,
            "version": self.version,
            "row": self.row,
        }


@dataclass
class GridSaved:
    rows: list  # the state of every row the save named, after it
    conflicts: list  # CellConflict
    applied: int  # cells changed


def check_grid(*, school, actor, membership, term, class_group, subject):
    """Refuse a grid that is not this school's, a subject of another level, and a member who neither
    manages results nor teaches the subject to the class this term. No actor: the system (the demo,
    a command), which may enter any grid."""
    if not (term.school_id == class_group.school_id == subject.school_id == school.pk):
        raise AcademicsError("Not found in this school.", code=AcademicsErrorCode.SUBJECT_NOT_FOUND)
    if subject.level != class_group.level or not subject.is_active:
        raise AcademicsError(
            f"{class_group.name} does not take {subject.name}.",
            code=AcademicsErrorCode.SUBJECT_NOT_FOUND,
            fields={"subject": [f"{subject.name} is a subject of {subject.level}, not of {class_group.level}."]},
        )
    if actor is None:
        return
    membership = membership or membership_of(school=school, user=actor)
    if membership is None or not may_enter(
        school=school, membership=membership, term=term, class_group=class_group, subject=subject
    ):
        raise AcademicsError(
            f"You do not teach {subject.name} to {class_group.name} this term.",
            code=AcademicsErrorCode.NOT_YOUR_SUBJECT,
        )


def require_manager(*, school, actor, membership, what):
    if actor is None:
        return
    membership = membership or membership_of(school=school, user=actor)
    if membership is None or not membership.has_perm(MANAGE):
        raise AcademicsError(f"Only the school's results managers {what}.", code=AcademicsErrorCode.NOT_YOUR_SUBJECT)


def lock_of(*, school, term, class_group):
    return ResultsLock.objects.for_school(school).filter(term=term, class_group=class_group).first()


def _refuse_if_locked(*, school, term, class_group):
    if lock_of(school=school, term=term, class_group=class_group) is not None:
        raise AcademicsError(
            f"The scores of {class_group.name} for {term.name} are locked: amend with a reason.",
            code=AcademicsErrorCode.RESULTS_LOCKED,
        )


def _canonical(text):
    """A seen text as the cell would show it ("7.50" -> "7.5"); unreadable text stays as it was."""
    if text is None:
        return None
    try:
        return str(compute.parse_cell(text, max_score=MAX_STORED))
    except ValueError:
        return text.strip()


def components_by_id(school, term):
    return {
        c.pk: c for c in AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id")
    }


def arithmetic_of(components):
    return [
        compute.Component(id=c.pk, name=c.name, max_score=c.max_score, weight=c.weight) for c in components.values()
    ]


def lock_rows(*, school, term, class_group, subject, student_ids):
    """{student_id: ScoreRow} for these pupils, each row created if missing and locked until commit.
    Rows are created first, ignoring the ones another save is creating at the same moment, then all
    are locked in id order, so two first saves of one row queue behind each other, not collide."""
    rows = ScoreRow.objects.for_school(school).filter(term=term, subject=subject)

    def locked(ids):
        return list(
            rows.filter(student_id__in=ids).select_for_update(of=("self",)).select_related("updated_by").order_by("id")
        )

    found = {row.student_id: row for row in locked(student_ids)}
    # Created in one order (by pupil) whoever creates them, so two first saves never wait on each other crosswise.
    missing = sorted(sid for sid in student_ids if sid not in found)
    if missing:
        ScoreRow.objects.bulk_create(
            [
                ScoreRow(school=school, term=term, subject=subject, student_id=sid, class_group=class_group)
                for sid in missing
            ],
            ignore_conflicts=True,
        )
        found.update({row.student_id: row for row in locked(missing)})
    return found


def stored_cells(school, rows):
    cells = {row.pk: {} for row in rows}
    for row_id, component_id, value, absent in (
        Score.objects.for_school(school)
        .filter(row_id__in=list(cells))
        .values_list("row_id", "component_id", "value", "absent")
    ):
        cells[row_id][component_id] = compute.Cell(value=value, absent=absent)
    return cells


def row_state(row, cells, components, arithmetic, bands):
    total, grade, complete = row_figures(arithmetic, bands, cells)
    return {
        "student_id": row.student_id,
        "version": row.version,
        "cells": {str(cid): str(cells.get(cid, compute.BLANK)) for cid in components},
        "total": total,
        "grade": grade,
        "complete": complete,
    }


def _parse_plan(*, school, term, class_group, rows, components):
    """{student_id: (seen_version, {component_id: (seen text or None, new Cell)})} from the rows a save
    names, or SCORE_INVALID naming every bad cell (`cell-<student>-<component>`) and pupil (`row-<student>`)."""
    on_roster = {p.pk for p in class_pupils(school=school, term=term, class_group=class_group)}
    plan, errors = {}, {}
    if len(rows) > MAX_ROWS:
        raise AcademicsError(
            "Too many rows in one save.",
            code=AcademicsErrorCode.SCORE_INVALID,
            fields={"rows": [f"Send at most {MAX_ROWS}."]},
        )
    for row in rows:
        student_id = row["student_id"]
        if student_id not in on_roster:
            errors[f"row-{student_id}"] = [f"This pupil is not in {class_group.name} this term."]
            continue
        if student_id in plan:
            errors[f"row-{student_id}"] = ["This pupil's row is sent twice."]
            continue
        cells = {}
        for component_id, cell in row["cells"].items():
            component = components.get(component_id)
            name = cell_field(student_id, component_id)
            if component is None:
                errors[name] = ["No such assessment in this term."]
                continue
            try:
                new = compute.parse_cell(cell.get("new"), max_score=component.max_score)
            except ValueError as exc:
                errors[name] = [str(exc)]
                continue
            cells[component_id] = (_canonical(cell.get("seen")), new)
        plan[student_id] = (row.get("version"), cells)
    if errors:
        raise AcademicsError(
            "Some scores need attention: nothing was saved.", code=AcademicsErrorCode.SCORE_INVALID, fields=errors
        )
    return plan


def _save(*, school, actor, term, class_group, subject, plan, components, via, cell=None):
    """Apply a parsed plan under row locks. `cell` (student_id, component_id): a one-cell save, whose
    audit row keeps what the cell held and what it became."""
    _refuse_if_locked(school=school, term=term, class_group=class_group)
    locked = lock_rows(school=school, term=term, class_group=class_group, subject=subject, student_ids=list(plan))
    stored = stored_cells(school, locked.values())
    detail = {}
    if cell is not None:
        student_id, component_id = cell
        old = stored[locked[student_id].pk].get(component_id, compute.BLANK)
        detail = {"student": student_id, "component": component_id, "old": str(old)}
    now = timezone.now()
    upserts, changed_rows, conflicts = [], [], []
    for student_id, (seen_version, cells) in plan.items():
        row = locked[student_id]
        current = stored[row.pk]
        changes = {}
        for component_id, (seen, new) in cells.items():
            now_text, new_text = str(current.get(component_id, compute.BLANK)), str(new)
            if new_text == now_text or (seen is not None and seen == new_text):
                continue  # nothing to change, or a cell the teacher left as they saw it
            if row.version == seen_version or (seen is not None and seen == now_text):
                changes[component_id] = new
            else:
                # Who saved the row last, before this save's own changes to it.
                conflicts.append((row, component_id, new_text, now_text, user_name(row.updated_by)))
        if changes:
            current.update(changes)
            row.version += 1
            row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
            row.updated_at = now
            changed_rows.append(row)
            upserts += [
                Score(school=school, row=row, component_id=cid, value=new.value, absent=new.absent)
                for cid, new in changes.items()
            ]
    if upserts:
        Score.objects.bulk_create(
            upserts, update_conflicts=True, unique_fields=["row", "component"], update_fields=["value", "absent"]
        )
        # Every changed row is locked and goes up by one: one UPDATE, not bulk_update's CASE per row.
        ScoreRow.objects.for_school(school).filter(pk__in=[row.pk for row in changed_rows]).update(
            version=F("version") + 1, updated_by=changed_rows[0].updated_by, updated_at=now
        )
        audit(
            school=school,
            actor=actor,
            action="scores.saved",
            target=subject,
            target_label=f"{subject.name}, {class_group.name}, {term.name}",
            changes={
                "term": term.pk,
                "class_group": class_group.pk,
                "subject": subject.pk,
                "cells": len(upserts),
                "rows": len(changed_rows),
                "conflicts": len(conflicts),
                "via": via,
                **detail,
                **({"new": str(stored[locked[cell[0]].pk].get(cell[1], compute.BLANK))} if cell else {}),
            },
        )
    arithmetic, bands = arithmetic_of(components), bands_of(policy_for(school).grade_scale)
    states = {sid: row_state(locked[sid], stored[locked[sid].pk], components, arithmetic, bands) for sid in plan}
    found = [
        CellConflict(
            student_id=row.student_id,
            component_id=component_id,
            mine=mine,
            theirs=theirs,
            updated_by=who,
            version=row.version,
            row=states[row.student_id],
        )
        for row, component_id, mine, theirs, who in conflicts
    ]
    return GridSaved(rows=list(states.values()), conflicts=found, applied=len(upserts))


@transaction.atomic
def scores_grid_save(*, school, actor, term, class_group, subject, rows, membership=None, via="workspace"):
    """Save many cells of one grid: `rows` = [{student_id, version, cells: {component_id: {"seen": text,
    "new": text}}}] ("seen" may be None: then only the version tells). Any invalid cell refuses the whole
    save (SCORE_INVALID, an error per `cell-<student>-<component>`); cells another save changed since are
    left as they are and returned as conflicts; the rest are applied. Returns GridSaved."""
    check_grid(school=school, actor=actor, membership=membership, term=term, class_group=class_group, subject=subject)
    components = components_by_id(school, term)
    plan = _parse_plan(school=school, term=term, class_group=class_group, rows=rows, components=components)
    return _save(
        school=school,
        actor=actor,
        term=term,
        class_group=class_group,
        subject=subject,
        plan=plan,
        components=components,
        via=via,
    )


@transaction.atomic
def score_cell_save(
    *,
    school,
    actor,
    term,
    class_group,
    subject,
    student,
    component,
    text,
    seen_version,
    seen_text,
    membership=None,
    via="workspace",
):
    """Save one cell typed over `seen_text` in the row at `seen_version`. Returns the row's state
    {student_id, version, cells, total, grade, complete}; raises SCORE_INVALID (the cell's error),
    SCORE_CONFLICT (409: `fields["conflict"]` holds what the cell holds now, who saved it and the
    row's version and state) or RESULTS_LOCKED (409)."""
    check_grid(school=school, actor=actor, membership=membership, term=term, class_group=class_group, subject=subject)
    components = components_by_id(school, term)
    if component.pk not in components:
        components = {}  # so the plan names the cell as no assessment of this term
    rows = [
        {
            "student_id": student.pk,
            "version": seen_version,
            "cells": {component.pk: {"seen": seen_text, "new": text}},
        }
    ]
    plan = _parse_plan(school=school, term=term, class_group=class_group, rows=rows, components=components)
    name = cell_field(student.pk, component.pk)
    saved = _save(
        school=school,
        actor=actor,
        term=term,
        class_group=class_group,
        subject=subject,
        plan=plan,
        components=components,
        via=via,
        cell=(student.pk, component.pk),
    )
    if saved.conflicts:
        conflict = saved.conflicts[0]
        who = conflict.updated_by or "Someone"
        shown = conflict.theirs or "blank"
        raise AcademicsError(
            f"{who} changed this score to {shown} after you opened the grid: keep yours or take theirs.",
            code=AcademicsErrorCode.SCORE_CONFLICT,
            fields={name: [f"{who} saved {shown} here."], "conflict": conflict.as_dict()},
        )
    return saved.rows[0]
