"""Report cards: a pupil's term as the card prints it, computed from what is stored whenever it is
shown (the ReportCard row keeps only the comments and the publishing).

A class's cards are made together (`class_cards`), because positions and class averages need the
whole class anyway: a fixed number of queries whatever the size of the class. `report_card` is one
pupil's, worked out within their class. The figures are compute's (rounding and ranking stated
once there); this module lays them out: each subject the pupil takes in report order with its cells
as text, its total, grade, position and class average; the overall figures; the term's attendance;
the comments; the grade key; next term's first day and fees; what is still missing; and whether the
card was published.

Positions are left out where the school's policy hides them. A position shared by several pupils
reads "2nd=".
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Case, IntegerField, Max, Min, When

from classpoint import balances
from classpoint.money import format_money
from schools.models import Enrollment
from schools.selectors import on_roll

from ..attendance.codes import policy_for as attendance_policy_for
from ..attendance.daily import _ATTENDS, _KIND_OF_RANK, _RANK
from ..models import AbsenceCode, AttendanceMark, ReportCard
from . import compute
from .selectors import class_results

Kind = AbsenceCode.Kind
MANAGE = "academics.manage_results"
PUBLISH = "academics.publish_results"
ENTER = "academics.enter_scores"


@dataclass(frozen=True)
class CardSubject:
    subject_id: int
    name: str
    code: str
    kind: str
    cells: list[str]  # one per component, in the term's order: "7.5", "ABS" or "" (not entered)
    total: Decimal  # shown: half-up at one decimal
    grade: str
    remark: str
    position: int | None  # None where the policy hides subject positions
    position_text: str
    class_average: Decimal | None
    missing: list[str]  # names of the components left blank

    @property
    def complete(self):
        return not self.missing


@dataclass(frozen=True)
class CardAttendance:
    """The pupil's school days this term so far: `expected` on roll, each marked day once (its daily
    register's mark, else its worst lesson's, as the daily sink counts). `present` counts every day
    at school (late included, and codes that count as present); `late` is part of it."""

    expected: int
    marked: int
    present: int
    absent: int
    late: int
    excused: int

    @property
    def unmarked(self):
        return max(self.expected - self.marked, 0)


@dataclass
class Card:
    school: object
    term: object
    class_group: object
    student: object
    components: list  # compute.Component
    subjects: list[CardSubject]
    total: Decimal | None
    average: Decimal | None
    position: int | None  # None where the policy hides the class position
    position_text: str
    class_size: int
    show_class_position: bool
    show_subject_position: bool
    attendance: CardAttendance | None  # None: the class's registers were not taken this term
    grade_key: list  # compute.Band, highest first
    form_teacher_name: str = ""
    form_teacher_comment: str = ""
    head_comment: str = ""
    next_term_name: str = ""
    next_term_starts: datetime.date | None = None
    next_term_fees_minor: int = 0
    currency: str = ""
    missing: list[str] = field(default_factory=list)  # "Mathematics: CA2, Exam"
    missing_count: int = 0  # blank cells in all
    report_card_id: int | None = None
    revision: int = 0
    published_at: datetime.datetime | None = None
    withheld: bool = False
    rank_text: str = ""  # the class position whatever the policy: staff pages show it

    @property
    def pupil_name(self):
        return self.student.full_name

    @property
    def admission_number(self):
        return self.student.admission_number

    @property
    def class_name(self):
        return self.class_group.name

    @property
    def term_name(self):
        return self.term.name

    @property
    def session_name(self):
        return self.term.session.name if self.term.session_id else ""

    @property
    def complete(self):
        return bool(self.subjects) and bool(self.components) and not self.missing_count

    @property
    def published(self):
        return self.published_at is not None

    @property
    def next_term_fees(self):
        """Next term's fees as printed, or "" when nothing is billed."""
        if self.next_term_fees_minor <= 0:
            return ""
        return format_money(self.next_term_fees_minor, self.currency)

    @property
    def missing_text(self):
        if self.complete:
            return ""
        if not self.components:
            return "No assessment components are set for the term."
        if not self.subjects:
            return "No subject is set for the class's level."
        n = self.missing_count
        return f"{n} score{'s' if n != 1 else ''} missing"


def visible_classes(*, school, membership):
    """The classes whose cards a member may see: every class for those who manage or publish results,
    their own form classes for a teacher who enters scores, none for anyone else."""
    groups = school.class_groups.select_related("form_teacher").order_by("level", "name", "id")
    if membership.has_perm(MANAGE) or membership.has_perm(PUBLISH):
        return list(groups)
    if membership.has_perm(ENTER):
        return list(groups.filter(form_teacher__user=membership.user_id))
    return []


def is_form_teacher(*, class_group, user):
    teacher = class_group.form_teacher
    return teacher is not None and teacher.user_id is not None and teacher.user_id == getattr(user, "pk", user)


def may_see_class(*, membership, class_group):
    if membership.has_perm(MANAGE) or membership.has_perm(PUBLISH):
        return True
    return membership.has_perm(ENTER) and is_form_teacher(class_group=class_group, user=membership.user_id)


def class_of(*, school, term, student):
    """The class the pupil sat in for `term` (their active enrollment), or None."""
    enrollment = (
        school.enrollments.filter(on_roll(term), term=term, student=student)
        .select_related("class_group__form_teacher")
        .first()
    )
    return enrollment.class_group if enrollment else None


def report_card(*, school, term, student):
    """The pupil's card for `term`, or None when they were not in a class that term."""
    class_group = class_of(school=school, term=term, student=student)
    if class_group is None:
        return None
    cards = _cards(school=school, term=term, class_group=class_group, only=student.pk)
    return cards[0] if cards else None


def class_cards(*, school, term, class_group):
    """Every pupil's card in the class for `term`, in register order (surname, first name)."""
    return _cards(school=school, term=term, class_group=class_group)


def _cards(*, school, term, class_group, only=None):
    results = class_results(school=school, term=term, class_group=class_group)
    pupils = [p for p in results.pupils if only is None or p.pk == only]
    if not pupils:
        return []
    ids = [p.pk for p in pupils]
    policy, worked = results.policy, results.worked
    rows = ReportCard.objects.for_school(school).filter(term=term, student_id__in=ids)
    stored = {row.student_id: row for row in rows}
    attendance = term_attendance(school=school, term=term, class_group=class_group, student_ids=ids)
    next_term = school.terms.filter(start_date__gt=term.start_date).order_by("start_date", "id").first()
    fees = balances.due_for_term(school=school, student_ids=ids, term=next_term) if next_term else {}
    teacher = class_group.form_teacher
    shared_subject = _shared_positions(worked)
    overall = Counter(p.position for p in worked.pupils.values() if p.position is not None)
    names = {c.id: c.name for c in results.components}
    cards = []
    for pupil in pupils:
        mine = worked.pupils[pupil.pk]
        subjects, missing, missing_count = [], [], 0
        for subject in results.subjects:
            taken = mine.subjects.get(subject.pk)
            if taken is None:
                continue
            blank = [names[cid] for cid in taken.result.missing]
            if blank:
                missing.append(f"{subject.name}: {', '.join(blank)}")
                missing_count += len(blank)
            position = taken.position if policy.show_subject_position else None
            subjects.append(
                CardSubject(
                    subject_id=subject.pk,
                    name=subject.name,
                    code=subject.code,
                    kind=subject.kind,
                    cells=[str(taken.cells.get(c.id, compute.BLANK)) for c in results.components],
                    total=taken.result.total,
                    grade=taken.grade.letter if taken.grade else "",
                    remark=taken.grade.remark if taken.grade else "",
                    position=position,
                    position_text=_place(position, (subject.pk, position) in shared_subject),
                    class_average=worked.subject_average(subject.pk),
                    missing=blank,
                )
            )
        position = mine.position if policy.show_class_position else None
        row = stored.get(pupil.pk)
        exact = sum((taken.result.exact for taken in mine.subjects.values()), Fraction(0))
        cards.append(
            Card(
                school=school,
                term=term,
                class_group=class_group,
                student=pupil,
                components=results.components,
                subjects=subjects,
                total=compute.shown(exact) if mine.subjects else None,
                average=compute.shown(exact / len(mine.subjects)) if mine.subjects else None,
                position=position,
                position_text=_place(position, overall[position] > 1),
                class_size=len(results.pupils),
                show_class_position=policy.show_class_position,
                show_subject_position=policy.show_subject_position,
                attendance=None if attendance is None else attendance.get(pupil.pk),
                grade_key=results.bands,
                form_teacher_name=str(teacher) if teacher else "",
                form_teacher_comment=row.form_teacher_comment if row else "",
                head_comment=row.head_comment if row else "",
                next_term_name=str(next_term) if next_term else "",
                next_term_starts=next_term.start_date if next_term else None,
                next_term_fees_minor=fees.get(pupil.pk, 0),
                currency=school.currency,
                missing=missing,
                missing_count=missing_count,
                report_card_id=row.pk if row else None,
                revision=row.revision if row else 0,
                published_at=row.published_at if row else None,
                withheld=row.withheld if row else False,
                rank_text=_place(mine.position, overall[mine.position] > 1),
            )
        )
    return cards


def _place(position, shared):
    if position is None:
        return ""
    return compute.ordinal(position) + ("=" if shared else "")


def _shared_positions(worked):
    """(subject_id, position) pairs held by more than one pupil."""
    seen, shared = set(), set()
    for pupil in worked.pupils.values():
        for subject_id, taken in pupil.subjects.items():
            key = (subject_id, taken.position)
            (shared if key in seen else seen).add(key)
    return shared


# --- attendance ------------------------------------------------------------------------------


def term_attendance(*, school, term, class_group, student_ids, today=None):
    """{student_id: CardAttendance} for the term up to today, or None when no register of the class
    was taken this term (a school that does not take attendance prints none). Three queries."""
    today = today or school.local_today()
    last = min(term.end_date, today)
    ids = list(student_ids)
    marks = AttendanceMark.objects.for_school(school).filter(date__gte=term.start_date, date__lte=last)
    if not ids or not marks.filter(register__class_group=class_group).exists():
        return None
    days = _expected_days(school=school, term=term, student_ids=ids, last=last)
    counts = {sid: dict.fromkeys(("marked", "present", "absent", "late", "excused"), 0) for sid in ids}
    picks = (
        marks.filter(student_id__in=ids)
        .values("student_id", "date")
        .annotate(
            # The day's mark, as the daily sink picks it: a daily register's over any lesson's.
            daily=Max(Case(When(slot__isnull=True, then=_RANK + _ATTENDS), default=None, output_field=IntegerField())),
            worst=Min(_RANK + _ATTENDS),
        )
        .order_by()
        .values_list("student_id", "daily", "worst")
    )
    for student_id, daily, worst in picks:
        pick = daily if daily is not None else worst
        kind, attended = _KIND_OF_RANK[pick // 10], pick % 10
        row = counts[student_id]
        row["marked"] += 1
        if attended:
            row["present"] += 1
            row["late"] += kind == Kind.LATE
        elif kind == Kind.EXCUSED:
            row["excused"] += 1
        else:
            row["absent"] += 1
    return {sid: CardAttendance(expected=max(len(days.get(sid, ())), c["marked"]), **c) for sid, c in counts.items()}


def _expected_days(*, school, term, student_ids, last):
    """{student_id: the school days of the term up to `last` the pupil was on a class's roll} (a pupil
    moved between classes counts each day once), by the attendance policy's weekdays."""
    weekdays = set(attendance_policy_for(school).school_days)
    enrollments = school.enrollments.filter(term=term, student_id__in=student_ids).values_list(
        "student_id", "started_on", "ended_on", "status"
    )
    found = {}
    for student_id, started, ended, status in enrollments:
        if ended is None and status != Enrollment.Status.ACTIVE:
            continue
        first = max(started or term.start_date, term.start_date)
        end = min(last, ended - datetime.timedelta(days=1)) if ended else last
        day = first
        while day <= end:
            if day.isoweekday() in weekdays:
                found.setdefault(student_id, set()).add(day)
            day += datetime.timedelta(days=1)
    return found
