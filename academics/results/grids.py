"""Reads behind score entry: which grids a member may open (with how full each is and whether its
class is locked), and one grid as the teacher sees it (components, pupils, each row's version, cells,
total and grade). Both run a fixed handful of queries whatever the size of the class or school.

Who may open a grid: a member who manages results opens every grid; a member who enters scores
opens the grids a SubjectTeacher row assigns to their own staff record for that term and class.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from schools.selectors import on_roll

from ..models import AssessmentComponent, ResultsLock, Score, ScoreAmendment, ScoreRow, Subject, SubjectTeacher
from . import compute
from .policy import bands_of, policy_for
from .selectors import class_pupils

MANAGE = "academics.manage_results"
ENTER = "academics.enter_scores"


def may_open_grids(membership):
    return membership.has_perm(MANAGE) or membership.has_perm(ENTER)


def teaches(*, school, user_id, term, class_group, subject):
    """Whether a SubjectTeacher row gives this subject in this class and term to the user's staff record."""
    return (
        SubjectTeacher.objects.for_school(school)
        .filter(term=term, class_group=class_group, subject=subject, teacher__user_id=user_id)
        .exists()
    )


def may_enter(*, school, membership, term, class_group, subject):
    if membership.has_perm(MANAGE):
        return True
    return membership.has_perm(ENTER) and teaches(
        school=school, user_id=membership.user_id, term=term, class_group=class_group, subject=subject
    )


def staff_name(staff):
    return f"{staff.first_name} {staff.last_name}".strip() if staff is not None else ""


def user_name(user):
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def row_figures(components, bands, cells):
    """(total, grade, complete) as the grid shows them from a row's {component_id: Cell}: the total
    once any cell holds a score or ABS, the grade once every cell does (a grade of half a term's
    work would mislead)."""
    result = compute.subject_total(components, cells)
    if all(cells.get(c.id, compute.BLANK).is_blank for c in components):
        return "", "", result.complete
    total = result.total
    band = compute.grade_for(total, bands) if result.complete else None
    return f"{total}", (band.letter if band else ""), result.complete


# --- the grids a member may open -------------------------------------------------------------------


@dataclass
class GridSummary:
    term: object
    class_group: object
    subject: object
    teacher: str  # the subject teacher's name, "" when nobody is assigned
    filled: int  # cells holding a score or ABS
    expected: int  # cells a complete grid holds (electives: of the pupils who take it)
    locked: bool
    mine: bool = False  # the member teaches it

    @property
    def percent(self):
        return round(100 * self.filled / self.expected) if self.expected else 0


@dataclass
class ClassGrids:
    class_group: object
    locked: bool
    grids: list = field(default_factory=list)


def my_grids(*, school, membership, term):
    """The grids the member may open this term, by class (level, name) then subject order: every
    class's every subject for a manager, their own assignments for a subject teacher."""
    manager = membership.has_perm(MANAGE)
    assigned = (
        SubjectTeacher.objects.for_school(school)
        .filter(term=term, subject__is_active=True)
        .select_related("teacher", "subject", "class_group")
    )
    assignments = {(a.class_group_id, a.subject_id): a for a in assigned}
    mine = {key for key, a in assignments.items() if a.teacher is not None and a.teacher.user_id == membership.user_id}
    if manager:
        groups = list(school.class_groups.order_by("level", "name", "id"))
        subjects = defaultdict(list)
        levels = {g.level for g in groups}
        for subject in Subject.objects.for_school(school).filter(level__in=levels, is_active=True):
            subjects[subject.level].append(subject)
        pairs = [(g, s) for g in groups for s in subjects[g.level]]
    elif membership.has_perm(ENTER):
        chosen = [
            assignments[key] for key in mine if assignments[key].subject.level == assignments[key].class_group.level
        ]
        pairs = [(a.class_group, a.subject) for a in chosen]
        pairs.sort(key=lambda p: (p[0].level, p[0].name, p[0].pk, p[1].position, p[1].name, p[1].pk))
    else:
        pairs = []
    if not pairs:
        return []
    group_ids = {g.pk for g, _ in pairs}
    n_components = AssessmentComponent.objects.for_school(school).filter(term=term).count()
    roster = dict(
        school.enrollments.filter(on_roll(term), term=term, class_group_id__in=group_ids)
        .values("class_group_id")
        .annotate(n=Count("student_id", distinct=True))
        .values_list("class_group_id", "n")
    )
    # Counted for the pupils still on the class's roster (a row remembers the class it was begun in).
    on_roster = school.enrollments.filter(
        on_roll(term), term=term, student_id=OuterRef("row__student_id"), class_group_id=OuterRef("row__class_group_id")
    )
    filled = {}
    for group_id, subject_id, cells, takers in (
        Score.objects.for_school(school)
        .filter(row__term=term, row__class_group_id__in=group_ids)
        .filter(Q(value__isnull=False) | Q(absent=True))
        .filter(Exists(on_roster))
        .values("row__class_group_id", "row__subject_id")
        .annotate(cells=Count("id"), takers=Count("row__student_id", distinct=True))
        .values_list("row__class_group_id", "row__subject_id", "cells", "takers")
    ):
        filled[group_id, subject_id] = (cells, takers)
    locked = set(
        ResultsLock.objects.for_school(school)
        .filter(term=term, class_group_id__in=group_ids)
        .values_list("class_group_id", flat=True)
    )
    summaries = []
    for group, subject in pairs:
        cells, takers = filled.get((group.pk, subject.pk), (0, 0))
        pupils = roster.get(group.pk, 0) if subject.kind == Subject.Kind.CORE else takers
        assignment = assignments.get((group.pk, subject.pk))
        summaries.append(
            GridSummary(
                term=term,
                class_group=group,
                subject=subject,
                teacher=staff_name(assignment.teacher) if assignment else "",
                filled=cells,
                expected=pupils * n_components,
                locked=group.pk in locked,
                mine=(group.pk, subject.pk) in mine,
            )
        )
    return summaries


def grids_by_class(summaries):
    """The summaries grouped by class (a manager's view), each class with its lock state and roster size."""
    classes = {}
    for summary in summaries:
        entry = classes.setdefault(
            summary.class_group.pk, ClassGrids(class_group=summary.class_group, locked=summary.locked)
        )
        entry.grids.append(summary)
    return list(classes.values())


# --- one grid ----------------------------------------------------------------------------------------


@dataclass
class GridRow:
    student: object
    version: int
    cells: dict  # {component_id: text}
    total: str
    grade: str
    complete: bool
    updated_by: str = ""

    @property
    def name(self):
        return f"{self.student.last_name}, {self.student.first_name}"

    def state(self):
        return {
            "student_id": self.student.pk,
            "version": self.version,
            "cells": {str(cid): text for cid, text in self.cells.items()},
            "total": self.total,
            "grade": self.grade,
            "complete": self.complete,
        }


@dataclass
class Grid:
    term: object
    class_group: object
    subject: object
    components: list  # AssessmentComponent rows, in order
    arithmetic: list  # the same as compute.Component
    bands: list
    rows: list
    lock: object  # the ResultsLock, or None
    teacher: str
    amendments: list = field(default_factory=list)

    @property
    def locked(self):
        return self.lock is not None

    def row(self, student_id):
        return next((row for row in self.rows if row.student.pk == student_id), None)


def grid(*, school, term, class_group, subject, with_amendments=False):
    """One grid as it stands: the term's components, the class's pupils (by name) with their row's
    version and cells, each row's total and grade, and whether the class's term is locked."""
    components = list(AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id"))
    arithmetic = [compute.Component(id=c.pk, name=c.name, max_score=c.max_score, weight=c.weight) for c in components]
    bands = bands_of(policy_for(school).grade_scale)
    pupils = class_pupils(school=school, term=term, class_group=class_group)
    rows = {
        row.student_id: row
        for row in ScoreRow.objects.for_school(school)
        .filter(term=term, subject=subject, student_id__in=[p.pk for p in pupils])
        .select_related("updated_by")
    }
    stored = defaultdict(dict)
    for student_id, component_id, value, absent in (
        Score.objects.for_school(school)
        .filter(row__term=term, row__subject=subject, row__student_id__in=[p.pk for p in pupils], component__term=term)
        .values_list("row__student_id", "component_id", "value", "absent")
    ):
        stored[student_id][component_id] = compute.Cell(value=value, absent=absent)
    grid_rows = []
    for pupil in pupils:
        row = rows.get(pupil.pk)
        cells = stored[pupil.pk]
        total, grade, complete = row_figures(arithmetic, bands, cells)
        grid_rows.append(
            GridRow(
                student=pupil,
                version=row.version if row else 0,
                cells={c.pk: str(cells.get(c.pk, compute.BLANK)) for c in components},
                total=total,
                grade=grade,
                complete=complete,
                updated_by=user_name(row.updated_by) if row else "",
            )
        )
    assignment = (
        SubjectTeacher.objects.for_school(school)
        .filter(term=term, class_group=class_group, subject=subject)
        .select_related("teacher")
        .first()
    )
    lock = ResultsLock.objects.for_school(school).filter(term=term, class_group=class_group).first()
    amendments = []
    if with_amendments and lock is not None:
        amendments = list(
            ScoreAmendment.objects.for_school(school)
            .filter(row__term=term, row__subject=subject, row__student_id__in=[p.pk for p in pupils])
            .select_related("row__student", "component", "amended_by")
            .order_by("-amended_at", "-id")[:50]
        )
    return Grid(
        term=term,
        class_group=class_group,
        subject=subject,
        components=components,
        arithmetic=arithmetic,
        bands=bands,
        rows=grid_rows,
        lock=lock,
        teacher=staff_name(assignment.teacher) if assignment else "",
        amendments=amendments,
    )
