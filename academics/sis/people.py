"""Pupils and guardians from the SIS, written through schools' services (their checks, their audit).

The school's pupils and guardians are read once; each record is compared in memory and a service is
called only for a row that changes, so a run where nothing changed writes nothing. The SIS is the
source for the fields it sends, but an empty value from it never erases what Classpoint holds (a
SIS without birth dates does not blank the ones the admissions office typed). A record a service
refuses (a bad phone, a guardian with no way to reach them) is counted as failed with the service's
sentence, and the run goes on: each service call is atomic on its own.
"""

from collections import defaultdict

from schools import services
from schools.models import Guardian, Student, StudentGuardian

from ..models import SisLink
from .matching import Ambiguous, GuardianMatcher, StudentMatcher, normal_phone
from .tally import RECORD_ERRORS

STUDENT = SisLink.Kind.STUDENT
GUARDIAN = SisLink.Kind.GUARDIAN
STUDENT_FIELDS = ("first_name", "last_name", "other_names", "date_of_birth", "gender")
GUARDIAN_FIELDS = ("first_name", "last_name", "relationship", "phone", "email")


def _changes(row, values):
    return {name: value for name, value in values.items() if value not in (None, "") and getattr(row, name) != value}


def sync_students(ctx, records):
    students = {s.pk: s for s in Student.objects.for_school(ctx.school)}
    matcher = StudentMatcher(students.values(), ctx.links.by_local[STUDENT].keys())
    for record in records:
        try:
            student = _student(ctx, record, students, matcher)
        except Ambiguous as exc:
            ctx.tally.fail("student", record.external_id, str(exc))
        except RECORD_ERRORS as exc:
            ctx.tally.record_error("student", record.external_id, exc)
        else:
            if student is not None:
                ctx.students[record.external_id] = student
    ctx.links.flush()
    # Pupils the SIS did not send this time (a delta) are still found by their link.
    for external_id, link in ctx.links.by_external[STUDENT].items():
        if link.local_id in students:
            ctx.students.setdefault(external_id, students[link.local_id])


def _student(ctx, record, students, matcher):
    values = {name: getattr(record, name) for name in STUDENT_FIELDS}
    student = students.get(ctx.links.local_id(STUDENT, record.external_id))
    linked = False
    if student is None:
        student = matcher.match(record)
        linked = student is not None
    if student is None:
        if not record.active:
            return None  # a leaver Classpoint never had is not created
        student = services.student_create(
            school=ctx.school,
            actor=None,
            admission_number=record.admission_number or record.external_id,
            **{name: value for name, value in values.items() if value is not None},
        )
        students[student.pk] = student
        outcome = "created"
    else:
        changes = _changes(student, values)
        if changes:
            services.student_update(student=student, actor=None, **changes)
        outcome = "updated" if changes else "unchanged"
    ctx.links.link(STUDENT, record.external_id, student.pk)
    matcher.taken(student)
    ctx.tally.add("student", outcome)
    if linked:
        ctx.tally.add("student", "linked")
    return student


def sync_guardians(ctx, records, *, complete):
    guardians = {g.pk: g for g in Guardian.objects.for_school(ctx.school)}
    pupil_guardians, primaries = defaultdict(set), set()
    pairs = StudentGuardian.objects.for_school(ctx.school).values_list("student_id", "guardian_id", "is_primary")
    for student_id, guardian_id, is_primary in pairs:
        pupil_guardians[student_id].add(guardian_id)
        if is_primary:
            primaries.add(student_id)
    sent = {record.external_id for record in records}
    # A guardian whose SIS id the SIS no longer sends may be the same person under a new id.
    stale = (
        [link.local_id for ext, link in ctx.links.by_external[GUARDIAN].items() if ext not in sent] if complete else []
    )
    matcher = GuardianMatcher(guardians, pupil_guardians, ctx.links.by_local[GUARDIAN].keys())
    for record in records:
        pupils = [ctx.students[sid] for sid in record.student_ids if sid in ctx.students]
        if not pupils:
            continue  # a contact of pupils not in Classpoint (left before the first run, or failed)
        try:
            _guardian(ctx, record, pupils, guardians, matcher, primaries, stale)
        except ValueError as exc:  # the phone
            ctx.tally.fail("guardian", record.external_id, f"The phone “{record.phone}” is not valid: {exc}")
        except RECORD_ERRORS as exc:
            ctx.tally.record_error("guardian", record.external_id, exc)
    ctx.links.flush()


def _guardian(ctx, record, pupils, guardians, matcher, primaries, stale):
    phone = normal_phone(record.phone, ctx.school.country)
    values = {"first_name": record.first_name, "last_name": record.last_name, "relationship": record.relationship}
    values |= {"phone": phone, "email": record.email}
    student_ids = [pupil.pk for pupil in pupils]
    guardian = guardians.get(ctx.links.local_id(GUARDIAN, record.external_id))
    linked = False
    if guardian is None:
        guardian = matcher.match(record, phone=phone, student_ids=student_ids, replaceable=stale)
        linked = guardian is not None
    if guardian is None:
        guardian = services.guardian_create(school=ctx.school, actor=None, **{k: v for k, v in values.items() if v})
        guardians[guardian.pk] = guardian
        outcome = "created"
    else:
        changes = _changes(guardian, values)
        if changes:
            services.guardian_update(guardian=guardian, actor=None, **changes)
        outcome = "updated" if changes else "unchanged"
    ctx.links.link(GUARDIAN, record.external_id, guardian.pk)
    for pupil in pupils:
        if guardian.pk in matcher.pupil_guardians.get(pupil.pk, ()):
            continue
        external = ctx.links.external_id(STUDENT, pupil.pk)
        primary = external in record.primary_for and pupil.pk not in primaries
        services.guardian_link(student=pupil, guardian=guardian, is_primary=primary, actor=None)
        primaries.add(pupil.pk)  # the first guardian linked becomes the primary one (guardian_link)
        outcome = "updated" if outcome == "unchanged" else outcome
    matcher.taken(guardian, student_ids)
    ctx.tally.add("guardian", outcome)
    if linked:
        ctx.tally.add("guardian", "linked")
