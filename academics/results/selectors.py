"""Reads shared by the grid, the report cards, the broadsheet and publishing: a term's components,
a class's subjects and pupils, and a class's term worked out from the scores (compute.class_term).

Who takes what: every pupil of the class takes its level's core subjects (nothing entered yet is all
blank, which is "missing"); an elective is taken by the pupils whose row in its grid holds at least
one score or ABS (a row left wholly blank means the pupil does not take it).
"""

from dataclasses import dataclass

from schools.selectors import class_roster

from ..models import AssessmentComponent, Score, Subject
from . import compute
from .policy import bands_of, policy_for


def components_of(*, school, term):
    """The term's components as the arithmetic takes them, in their order."""
    return [
        compute.Component(id=c.pk, name=c.name, max_score=c.max_score, weight=c.weight)
        for c in AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id")
    ]


def subjects_for(*, school, class_group):
    """The subjects of the class's level, in report-card order."""
    return list(
        Subject.objects.for_school(school)
        .filter(level=class_group.level, is_active=True)
        .order_by("position", "name", "id")
    )


def class_pupils(*, school, term, class_group):
    """The pupils on the class's roll this term (`schools.selectors.on_roll`), by surname then first name."""
    return class_roster(school=school, term=term, class_group=class_group)


def cells_for(*, school, term, subject_ids, student_ids):
    """{student_id: {subject_id: {component_id: Cell}}} for the rows that exist, with each row's
    version at cells[...]["version"] left out: see row_versions for those."""
    found = {}
    rows = (
        Score.objects.for_school(school)
        .filter(row__term=term, row__subject_id__in=subject_ids, row__student_id__in=student_ids)
        .order_by()  # the model's ordering would sort what is read into dicts anyway
        .values_list("row__student_id", "row__subject_id", "component_id", "value", "absent")
    )
    for student_id, subject_id, component_id, value, absent in rows:
        found.setdefault(student_id, {}).setdefault(subject_id, {})[component_id] = compute.Cell(
            value=value, absent=absent
        )
    return found


@dataclass
class ClassResults:
    """A class group's term: who, what, how it is marked, and the worked-out figures."""

    term: object
    class_group: object
    policy: object
    components: list
    bands: list
    subjects: list
    pupils: list
    worked: compute.ClassTerm

    def subject(self, subject_id):
        return next((s for s in self.subjects if s.pk == subject_id), None)


def taken_cells(*, subjects, pupils, cells):
    """Who takes what (module docstring), with their cells."""
    taken = {}
    for pupil in pupils:
        mine = cells.get(pupil.pk, {})
        chosen = {}
        for subject in subjects:
            entered = mine.get(subject.pk, {})
            if subject.kind == Subject.Kind.CORE or any(not cell.is_blank for cell in entered.values()):
                chosen[subject.pk] = entered
        taken[pupil.pk] = chosen
    return taken


def class_results(*, school, term, class_group, policy=None):
    """Work out the class's term from what is stored now (a handful of queries, whatever the size)."""
    policy = policy or policy_for(school)
    components = components_of(school=school, term=term)
    bands = bands_of(policy.grade_scale)
    subjects = subjects_for(school=school, class_group=class_group)
    pupils = class_pupils(school=school, term=term, class_group=class_group)
    cells = cells_for(
        school=school, term=term, subject_ids=[s.pk for s in subjects], student_ids=[p.pk for p in pupils]
    )
    worked = compute.class_term(
        components=components,
        bands=bands,
        student_ids=[p.pk for p in pupils],
        taken=taken_cells(subjects=subjects, pupils=pupils, cells=cells),
    )
    return ClassResults(
        term=term,
        class_group=class_group,
        policy=policy,
        components=components,
        bands=bands,
        subjects=subjects,
        pupils=pupils,
        worked=worked,
    )
