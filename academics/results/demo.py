"""Results' part of the demo: each level's subjects, the current term's four components, who teaches
what (from the timetable), and scores entered by the school admin through the grid's own service.

JSS 1B's grids are complete for the pupils it has now (a pupil the registrar's demo admits
afterwards has none, which publishing names: enter them, or publish with a reason); JSS 1A's are
complete but for Mathematics, where only CA1 and CA2 are in: the project and exam columns wait for
teacher@greenfield.demo (JSS 1A's form teacher, who teaches it Mathematics). Other classes have CA1.
Scores come from a generator seeded with the pupil and subject, so every run enters the same ones;
a grid that has any score is left as it is."""

import random

from ..models import AssessmentComponent, ScoreRow, Subject
from .scores import scores_grid_save
from .selectors import class_pupils, components_of
from .setup import components_set, subject_create, subject_teachers_from_timetable

# (name, code, kind): the JSS subjects follow the timetable's names, so teachers come from it.
JUNIOR = [
    ("Mathematics", "MTH", "core"),
    ("English Studies", "ENG", "core"),
    ("Basic Science", "BSC", "core"),
    ("Social Studies", "SOS", "core"),
    ("Civic Education", "CVE", "core"),
    ("Cultural and Creative Arts", "CCA", "core"),
    ("Computer Studies", "CMP", "core"),
    ("French", "FRE", "elective"),
]
SENIOR = [
    ("Mathematics", "MTH", "core"),
    ("English Language", "ENG", "core"),
    ("Biology", "BIO", "core"),
    ("Civic Education", "CVE", "core"),
    ("Physics", "PHY", "elective"),
    ("Chemistry", "CHM", "elective"),
    ("Economics", "ECO", "elective"),
    ("Literature in English", "LIT", "elective"),
]
COMPONENTS = [("CA1", 10, 10), ("CA2", 10, 10), ("Project", 20, 20), ("Exam", 60, 60)]


def seed_results(context):
    school = context.school
    term = school.current_term()
    if term is None:
        return
    admin = school.memberships.get(role__key="school_admin", user__email=f"admin@{school.slug}.demo").user
    levels = sorted(set(school.class_groups.values_list("level", flat=True)))
    made = 0
    for level in levels:
        if Subject.objects.for_school(school).filter(level=level).exists():
            continue
        for position, (name, code, kind) in enumerate(JUNIOR if level.startswith("JSS") else SENIOR):
            subject_create(school=school, actor=admin, name=name, code=code, level=level, kind=kind, position=position)
            made += 1
    if not AssessmentComponent.objects.for_school(school).filter(term=term).exists():
        components_set(
            school=school,
            actor=admin,
            term=term,
            components=[{"name": n, "max_score": high, "weight": weight} for n, high, weight in COMPONENTS],
        )
    subject_teachers_from_timetable(school=school, actor=admin, term=term)
    entered = 0
    for group in school.class_groups.order_by("level", "name"):
        entered += _scores(school, admin, term, group)
    if made or entered:
        context.say(
            f"Results: {made} subjects, {entered} scores entered; JSS 1B's are complete for its pupils "
            "(one the registrar admits this week has none: publish with a reason), JSS 1A's Mathematics "
            "project and exam wait for teacher@greenfield.demo."
        )


def _scores(school, admin, term, group):
    components = components_of(school=school, term=term)
    pupils = class_pupils(school=school, term=term, class_group=group)
    if not pupils or not components:
        return 0
    subjects = Subject.objects.for_school(school).filter(level=group.level, is_active=True)
    entered = 0
    for subject in subjects:
        if ScoreRow.objects.for_school(school).filter(term=term, class_group=group, subject=subject).exists():
            continue
        if group.name == "JSS 1B" or (group.name == "JSS 1A" and subject.name != "Mathematics"):
            columns = components
        elif group.name == "JSS 1A":
            columns = components[:2]
        else:
            columns = components[:1]
        rows = []
        for pupil in pupils:
            rng = random.Random(f"{school.slug}-{pupil.admission_number}-{subject.name}")
            if subject.kind == Subject.Kind.ELECTIVE and rng.random() < 0.6:
                continue  # does not take it
            ability = rng.uniform(0.35, 0.95)
            cells = {}
            for component in columns:
                if rng.random() < 0.015:
                    cells[component.id] = {"seen": "", "new": "ABS"}
                    continue
                score = max(0.0, min(float(component.max_score), rng.gauss(ability, 0.08) * float(component.max_score)))
                cells[component.id] = {"seen": "", "new": f"{round(score * 2) / 2:g}"}
            rows.append({"student_id": pupil.pk, "version": 0, "cells": cells})
            entered += len(cells)
        if rows:
            scores_grid_save(
                school=school, actor=admin, term=term, class_group=group, subject=subject, rows=rows, via="demo"
            )
    return entered
