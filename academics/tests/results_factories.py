"""A term of results to test against: the first class's level with three core subjects and one
elective, the four usual components (CA1 /10 10%, CA2 /10 10%, project /20 20%, exam /60 60%), the
school's default grade scale (A1–F9), four pupils, and a subject teacher. Scores are written straight
to the tables (`put`), so a test of reading does not depend on the grid's services."""

from dataclasses import dataclass, field
from decimal import Decimal

from schools.models import StaffProfile

from ..models import AssessmentComponent, Score, ScoreRow, Subject, SubjectTeacher
from ..results.compute import ABSENT
from ..results.policy import policy_for
from .factories import enrol_pupils

COMPONENTS = (("CA1", 10, 10), ("CA2", 10, 10), ("Project", 20, 20), ("Exam", 60, 60))
SUBJECTS = (("Mathematics", "MTH", "core"), ("English Language", "ENG", "core"), ("Basic Science", "BSC", "core"))
ELECTIVES = (("French", "FRE", "elective"),)


@dataclass
class ResultsWorld:
    school: object
    term: object
    group: object
    pupils: list
    subjects: list
    components: list
    teacher_user: object = None
    teacher_staff: object = None
    extra: dict = field(default_factory=dict)

    def subject(self, name):
        return next(s for s in self.subjects if s.name == name)

    def component(self, name):
        return next(c for c in self.components if c.name == name)

    def put(self, pupil, subject, **cells):
        """Write a pupil's cells in a subject: put(p, maths, CA1="7.5", Exam="ABS"); "" clears."""
        subject = self.subject(subject) if isinstance(subject, str) else subject
        row, _ = ScoreRow.objects.get_or_create(
            school=self.school,
            term=self.term,
            subject=subject,
            student=pupil,
            defaults={"class_group": self.group},
        )
        for name, text in cells.items():
            component = self.component(name)
            absent = str(text).upper() == ABSENT
            value = None if absent or text in ("", None) else Decimal(str(text))
            Score.objects.update_or_create(
                school=self.school, row=row, component=component, defaults={"value": value, "absent": absent}
            )
        row.version += 1
        row.save(update_fields=["version", "updated_at"])
        return row

    def fill(self, pupil, subject, ca1, ca2, project, exam):
        return self.put(pupil, subject, CA1=ca1, CA2=ca2, Project=project, Exam=exam)


def results_world(school, term, group, *, teacher_user=None, electives=True):
    """Set up results for `group` in `term` (pupils: the class's own and Adeyemi, Bello, Chukwu)."""
    policy_for(school)
    pupils = enrol_pupils(school, term, group, guardians=True)
    specs = SUBJECTS + (ELECTIVES if electives else ())
    subjects = [
        Subject.objects.create(school=school, name=name, code=code, level=group.level, kind=kind, position=index)
        for index, (name, code, kind) in enumerate(specs)
    ]
    components = [
        AssessmentComponent.objects.create(
            school=school, term=term, name=name, max_score=Decimal(high), weight=Decimal(weight), position=index
        )
        for index, (name, high, weight) in enumerate(COMPONENTS)
    ]
    staff = None
    if teacher_user is not None:
        staff = StaffProfile.objects.create(
            school=school, user=teacher_user, first_name="Ada", last_name="Okafor", is_teacher=True
        )
        SubjectTeacher.objects.create(school=school, term=term, class_group=group, subject=subjects[0], teacher=staff)
    return ResultsWorld(
        school=school,
        term=term,
        group=group,
        pupils=pupils,
        subjects=subjects,
        components=components,
        teacher_user=teacher_user,
        teacher_staff=staff,
    )
