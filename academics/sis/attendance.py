"""Attendance between the SIS and the daily registers, one way, as the school chooses.

Pull: each SIS day code becomes the pupil's mark in their class group's daily register for that day,
through register_submit (so the register's rules hold: its school days, one mark per pupil and day,
the audit; a register opened this way marks its other pupils present, which is what a SIS that
records only absences means). A SIS code is the school's code of the same name, else the school's
default code of the same kind (A, E, L, P) by the SIS's absence codes; a late day carries 1 minute
(neither protocol says how late), noted as such. Marks already as the SIS says are left alone.

Push: the daily marks changed since the cutoff, for pupils the SIS knows, each sent as that day's
code (a present day as "", clearing the SIS's code). It runs after the roster is committed and never
inside a transaction; a mark the SIS refuses is counted failed and goes again with the next run.
"""

import datetime
from collections import defaultdict

from django.db.models import Q

from schools.models import Enrollment

from ..attendance.codes import codes_for
from ..attendance.registers import register_submit
from ..models import AbsenceCode, AttendanceMark, SisLink
from .base import SisMark
from .tally import RECORD_ERRORS

Kind = AbsenceCode.Kind
DEFAULT_BY_KIND = {Kind.ABSENT: "A", Kind.EXCUSED: "E", Kind.LATE: "L", Kind.PRESENT: "P"}
REASON = "Attendance from the SIS"
LATE_NOTE = "SIS: late (minutes not given)"


def _local_code(code, local, sis_kinds):
    found = local.get(code.upper())
    if found is None:
        found = local.get(DEFAULT_BY_KIND.get(sis_kinds.get(code.upper()), ""))
    return found


def _class_on(enrollments, student_id, date):
    for group_id, start, end, started, ended, status in enrollments.get(student_id, ()):
        if not start <= date <= end or (started and date < started):
            continue
        if (ended is None and status == Enrollment.Status.ACTIVE) or (ended and date < ended):
            return group_id
    return None


def pull_attendance(ctx, marks, absence_codes):
    if not marks:
        return
    school, tally = ctx.school, ctx.tally
    local = {code.code.upper(): code for code in codes_for(school)}
    sis_kinds = {code.code.upper(): code.kind for code in absence_codes}
    first, last = min(m.date for m in marks), max(m.date for m in marks)
    rows = (
        Enrollment.objects.for_school(school)
        .filter(term__start_date__lte=last, term__end_date__gte=first)
        .values_list(
            "student_id", "class_group_id", "term__start_date", "term__end_date", "started_on", "ended_on", "status"
        )
    )
    enrollments = defaultdict(list)
    for student_id, *enrollment in rows:
        enrollments[student_id].append(enrollment)
    existing = {
        (student_id, date): code
        for student_id, date, code in AttendanceMark.objects.for_school(school)
        .filter(slot__isnull=True, date__gte=first, date__lte=last)
        .values_list("student_id", "date", "code__code")
    }
    groups = defaultdict(list)
    for mark in marks:
        key = f"{mark.student_id}@{mark.date}"
        student = ctx.students.get(mark.student_id)
        code = _local_code(mark.code, local, sis_kinds)
        group_id = _class_on(enrollments, student.pk, mark.date) if student else None
        if student is None or code is None or group_id is None:
            why = "no such pupil" if student is None else "no class that day" if code else f"no code {mark.code}"
            tally.fail("attendance", key, f"Not written: {why} in Classpoint.")
            continue
        before = existing.get((student.pk, mark.date))
        if before == code.code:
            tally.add("attendance", "unchanged")
        else:
            groups[(group_id, mark.date)].append((key, student, code, "updated" if before else "created"))
    by_id = {g.pk: g for g in ctx.groups.values()}
    missing = {group_id for group_id, _ in groups} - set(by_id)
    by_id |= {g.pk: g for g in school.class_groups.filter(pk__in=missing)}
    for (group_id, date), rows in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        submitted = [
            {"student_id": student.pk, "code": code.code}
            | ({"minutes_late": 1, "note": LATE_NOTE} if code.kind == Kind.LATE else {})
            for _, student, code, _ in rows
        ]
        try:
            register_submit(
                school=school, class_group=by_id[group_id], date=date, marks=submitted, actor=None, reason=REASON
            )
        except RECORD_ERRORS as exc:
            for key, *_ in rows:
                tally.record_error("attendance", key, exc)
        else:
            for _, _, _, outcome in rows:
                tally.add("attendance", outcome)


def marks_to_push(*, school, links, since):
    """[SisMark] of the daily marks written at or after `since` for pupils with a SIS id."""
    marks = (
        AttendanceMark.objects.for_school(school)
        .filter(Q(slot__isnull=True), marked_at__gte=since)
        .order_by("date", "student_id")
        .values_list("student_id", "date", "code__code", "kind")
    )
    found = []
    for student_id, date, code, kind in marks:
        external = links.external_id(SisLink.Kind.STUDENT, student_id)
        if external:
            found.append(SisMark(student_id=external, date=date, code="" if kind == Kind.PRESENT else code))
    return found


def push_attendance(adapter, marks, tally, *, dry_run):
    if dry_run:
        tally.add("attendance_push", "unchanged", len(marks))
        return
    for mark, error in adapter.push_attendance(marks):
        if error:
            tally.fail("attendance_push", f"{mark.student_id}@{mark.date}", error)
        else:
            tally.add("attendance_push", "created")


def push_cutoff(*, school, since, last_success):
    """Push what changed since `since` (a day), else since the last successful run began, else the
    last week."""
    if since:
        return school.local_day_start(since)
    if last_success:
        return last_success
    return school.local_day_start(school.local_today() - datetime.timedelta(days=7))
