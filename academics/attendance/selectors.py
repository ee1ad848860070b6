"""Reads for the attendance pages and API: the registers a day asks for (a teacher's, or the whole
school's for completeness), one register's sheet, and a pupil's history. Every query starts from the
school; a day's list is a fixed number of queries whatever the number of classes."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q, Sum

from ..models import AbsenceCode, AttendanceDaily, AttendanceMark, Intervention, Register, ScheduleSlot
from .codes import codes_for, policy_for
from .daily import daily_figures
from .registers import pupils_on, term_on

Kind = AbsenceCode.Kind


@dataclass
class Sitting:
    """A register a day asks for: a class group's day (`slot` None) or one lesson, taken or not."""

    date: datetime.date
    class_group: object
    slot: object = None
    register: object = None
    teacher: object = None

    @property
    def taken(self):
        return self.register is not None and self.register.is_submitted

    @property
    def label(self):
        if self.slot is None:
            return f"{self.class_group.name}: daily register"
        return f"{self.class_group.name}: {self.slot.subject}, {self.slot.start_time:%H:%M}–{self.slot.end_time:%H:%M}"

    @property
    def sort_key(self):
        return (self.slot.start_time if self.slot else datetime.time.min, self.class_group.name)


def sittings_on(*, school, date, staff=None):
    """The registers `date` asks for, in the school's policy: each class group's daily register
    and/or each lesson of the timetable that day. With `staff`: only theirs (their form classes'
    daily registers, the lessons they teach). Empty outside a term."""
    term = term_on(school=school, date=date)
    policy = policy_for(school)
    if term is None or date.isoweekday() not in policy.school_days:
        return []
    taken = {
        (r.class_group_id, r.slot_id): r
        for r in Register.objects.for_school(school).filter(date=date).select_related("submitted_by")
    }
    sittings = []
    if policy.takes_daily:
        groups = school.class_groups.filter(enrollments__term=term, enrollments__status="active").distinct()
        if staff is not None:
            groups = groups.filter(form_teacher=staff)
        for group in groups.select_related("form_teacher").order_by("level", "name"):
            sittings.append(
                Sitting(date=date, class_group=group, register=taken.get((group.pk, None)), teacher=group.form_teacher)
            )
    if policy.takes_lessons:
        slots = ScheduleSlot.objects.for_school(school).filter(term=term, weekday=date.isoweekday())
        if staff is not None:
            slots = slots.filter(teacher=staff)
        for slot in slots.select_related("class_group", "teacher"):
            sittings.append(
                Sitting(
                    date=date,
                    class_group=slot.class_group,
                    slot=slot,
                    register=taken.get((slot.class_group_id, slot.pk)),
                    teacher=slot.teacher,
                )
            )
    return sorted(sittings, key=lambda s: s.sort_key)


def missing_on(*, school, date):
    """The registers of `date` nobody has submitted yet (completeness)."""
    return [sitting for sitting in sittings_on(school=school, date=date) if not sitting.taken]


@dataclass
class SheetRow:
    student: object
    mark: object = None  # the AttendanceMark, once the register is taken

    @property
    def code(self):
        return self.mark.code.code if self.mark else "P"


@dataclass
class Sheet:
    """One register as its page and the API show it: every pupil on it with their mark."""

    date: datetime.date
    class_group: object
    term: object
    slot: object = None
    register: object = None
    rows: list = field(default_factory=list)
    codes: list = field(default_factory=list)

    @property
    def taken(self):
        return self.register is not None and self.register.is_submitted

    def counts(self):
        counter = Counter(row.mark.kind if row.mark else Kind.PRESENT for row in self.rows)
        return {kind: counter.get(kind, 0) for kind in Kind.values}


def register_sheet(*, school, class_group, date, slot=None, term):
    """The register of `class_group` on `date` (lesson `slot`): the pupils on it that day (and any
    pupil marked on it since gone), each with their mark if it was taken."""
    register = (
        Register.objects.for_school(school)
        .filter(class_group=class_group, date=date)
        .filter(Q(slot=slot) if slot else Q(slot__isnull=True))
        .select_related("submitted_by", "updated_by", "teacher")
        .first()
    )
    pupils = pupils_on(school=school, class_group=class_group, term=term, date=date)
    marks = {}
    if register is not None:
        marks = {m.student_id: m for m in register.marks.select_related("code", "student")}
        on = {p.pk for p in pupils}
        pupils += sorted((m.student for m in marks.values() if m.student_id not in on), key=lambda s: s.last_name)
    return Sheet(
        date=date,
        class_group=class_group,
        term=term,
        slot=slot,
        register=register,
        rows=[SheetRow(student=p, mark=marks.get(p.pk)) for p in pupils],
        codes=codes_for(school),
    )


@dataclass
class History:
    """A pupil's attendance between two dates: each day's marks, totals by kind and the rate."""

    student: object
    start: datetime.date
    end: datetime.date
    days: list  # [(date, [marks])], oldest first, school days with a mark only
    totals: dict
    rate: float | None  # share of marked days attended (present, late, or a code counting as present)
    day_marks: dict = field(default_factory=dict)  # date -> the mark the day counts by (day_mark)


def student_history(*, school, student, start, end):
    marks = (
        AttendanceMark.objects.for_school(school)
        .filter(student=student, date__gte=start, date__lte=end)
        .select_related("code", "slot", "register__class_group", "marked_by")
        .order_by("date", "slot__start_time", "id")
    )
    by_day = {}
    for mark in marks:
        by_day.setdefault(mark.date, []).append(mark)
    totals = Counter()
    attended = 0
    chosen = {}
    for date, day_marks in by_day.items():
        mark = chosen[date] = day_mark(day_marks)
        totals[mark.kind] += 1
        attended += 1 if (mark.kind in (Kind.PRESENT, Kind.LATE) or mark.code.counts_as_present) else 0
    days = sorted(by_day.items())
    rate = attended / len(days) if days else None
    return History(
        student=student,
        start=start,
        end=end,
        days=days,
        totals={kind: totals.get(kind, 0) for kind in Kind.values},
        rate=rate,
        day_marks=chosen,
    )


def day_mark(marks):
    """The mark a pupil's day counts by: its daily register's when there is one, else the worst of its
    lessons' (absent, then excused, late, present). The daily sink counts days the same way."""
    daily = [m for m in marks if m.slot_id is None]
    return daily[0] if daily else min(marks, key=_severity)


_SEVERITY = {Kind.ABSENT: 0, Kind.EXCUSED: 1, Kind.LATE: 2, Kind.PRESENT: 3}


def _severity(mark):
    return _SEVERITY.get(mark.kind, 3)


def day_summary(*, school, date):
    """The whole school's pupils on `date` by how their day counts (day_mark: the daily register's
    mark, else the lessons' worst), so a school taking lesson registers only sees its day too."""
    counts = Counter()
    for figures in daily_figures(school=school, start=date, end=date).values():
        for kind in Kind.values:
            counts[kind] += figures[kind]
    return {kind: counts.get(kind, 0) for kind in Kind.values}


def absentees_on(*, school, date):
    """The marks of `date` that are not present (absent, excused, late), pupil and class first."""
    return list(
        AttendanceMark.objects.for_school(school)
        .filter(date=date)
        .exclude(kind=Kind.PRESENT)
        .select_related("student", "code", "slot", "register__class_group")
        .order_by("register__class_group__name", "student__last_name", "slot__start_time")
    )


# --- for the apps above (the registrar's dashboard): counts, no pupil ----------------------------


def registers_progress(*, school, date):
    """(taken, expected) registers of `date` in the school's policy."""
    sittings = sittings_on(school=school, date=date)
    return sum(1 for s in sittings if s.taken), len(sittings)


def attendance_rate(*, school, start, end, today=None):
    """(attended, marked) pupil-days between `start` and `end`: past days from the nightly sink, today
    counted live (the summary's rule; one query for the sink)."""
    today = today or school.local_today()
    stored = (
        AttendanceDaily.objects.for_school(school)
        .filter(date__gte=start, date__lte=min(end, today - datetime.timedelta(days=1)))
        .aggregate(attended=Sum("attended"), marked=Sum("marked"))
    )
    attended, marked = stored["attended"] or 0, stored["marked"] or 0
    if start <= today <= end:
        for figures in daily_figures(school=school, start=today, end=today).values():
            attended, marked = attended + figures["attended"], marked + figures["marked"]
    return attended, marked


def interventions_to_send_count(*, school):
    """Truancy letters and SARB referrals drafted by the scan, waiting for the attendance office."""
    return Intervention.objects.for_school(school).filter(state=Intervention.State.DRAFT).count()
