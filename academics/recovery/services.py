"""Recovery sessions: scheduling one, cancelling it, seating pupils and taking attendance at it.

Seats: assigning locks the session's row first and counts after, so however many people assign at
once the session never seats more than its capacity (the last seat goes to one of them, the others
hear `recovery_full`). Assigning a pupil already seated changes nothing; a batch that does not fit is
refused whole.

Credit: attending credits the session's minutes, less where the pupil's credited total in the school
year (selectors.school_year) would pass the school's cap (`AttendancePolicy.recovery_cap_minutes`).
Taking attendance again recomputes the pupil's credit for this session from the other sessions'
(never added twice). The pupils' rows are locked while their credit is worked out, so two sessions'
attendance taken at once cannot both spend the same remaining minutes.
"""

from dataclasses import dataclass

from django.db import transaction

from classpoint.audit import audit
from schools.models import Student

from ..attendance.codes import policy_for
from ..errors import AcademicsError, AcademicsErrorCode
from ..models import RecoveryAssignment, RecoverySession
from .selectors import credited, minutes_text, school_year

MAX_CAPACITY = 200
MAX_LOCATION = 80
MAX_PUPILS = 500  # pupils in one request: more than any session seats
NOT_HERE = "Not found in this school."
State = RecoverySession.State


def describe(session):
    """“Saturday 12 December, 10:00–13:00 in Room 4”."""
    return (
        f"{session.date:%A} {session.date.day} {session.date:%B}, "
        f"{session.start_time:%H:%M}–{session.end_time:%H:%M} in {session.location}"
    )


def _invalid(fields, message="Check the recovery session's details."):
    return AcademicsError(message, code=AcademicsErrorCode.RECOVERY_INVALID, fields=fields)


@transaction.atomic
def recovery_session_create(
    *, school, actor, date, start_time, end_time, location, teacher=None, capacity=25, today=None
):
    """Schedule a session: on a day that has not passed, ending after it starts, for 1 to
    MAX_CAPACITY pupils, with a teacher of the school (or none yet)."""
    today = today or school.local_today()
    location = (location or "").strip()
    if teacher is not None and teacher.school_id != school.pk:
        raise AcademicsError(NOT_HERE, code=AcademicsErrorCode.TEACHER_NOT_FOUND, fields={"teacher": [NOT_HERE]})
    errors = {}
    if date < today:
        errors["date"] = [f"{date:%A} {date.day} {date:%B %Y} has passed: choose today or a later day."]
    if end_time <= start_time:
        errors["end_time"] = ["The session must end after it starts."]
    if not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [f"Seat between 1 and {MAX_CAPACITY} pupils."]
    if not location:
        errors["location"] = ["Say where the session is (a room, the library…)."]
    elif len(location) > MAX_LOCATION:
        errors["location"] = [f"Use at most {MAX_LOCATION} characters."]
    if teacher is not None and not teacher.is_teacher:
        errors["teacher"] = [f"{teacher} is not on the staff list as a teacher."]
    if errors:
        raise _invalid(errors)
    session = RecoverySession.objects.create(
        school=school,
        date=date,
        start_time=start_time,
        end_time=end_time,
        location=location,
        teacher=teacher,
        capacity=capacity,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        school=school,
        actor=actor,
        action="recovery.session_created",
        target=session,
        changes={
            "date": date.isoformat(),
            "start_time": f"{start_time:%H:%M}",
            "end_time": f"{end_time:%H:%M}",
            "location": location,
            "teacher_id": teacher.pk if teacher else None,
            "capacity": capacity,
        },
    )
    return session


def _locked(school, session):
    return (
        RecoverySession.objects.for_school(school)
        .select_for_update(of=("self",))
        .select_related("teacher")
        .get(pk=session.pk)
    )


def _refuse_cancelled(session):
    if session.state == State.CANCELLED:
        raise AcademicsError(
            "This recovery session is cancelled.",
            code=AcademicsErrorCode.RECOVERY_CANCELLED,
            fields={"session": [f"The session of {describe(session)} was cancelled."]},
        )


def _lock_pupils(school, student_ids):
    """Lock the pupils' rows in id order (one order for everyone: no two transactions wait on each
    other in a circle). FOR NO KEY UPDATE: a register saving a mark for them meanwhile is not held up."""
    list(
        Student.objects.for_school(school)
        .filter(pk__in=student_ids)
        .select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def recovery_session_cancel(*, school, session, actor, reason=""):
    """Cancel a session nobody's attendance was taken at (cancelling one already cancelled changes
    nothing). Its seats are kept, so the list shows who was booked."""
    session = _locked(school, session)
    if session.state == State.CANCELLED:
        return session
    if session.assignments.filter(attended__isnull=False).exists():
        raise AcademicsError(
            "Attendance was taken at this session.",
            code=AcademicsErrorCode.RECOVERY_TAKEN,
            fields={"session": ["Its pupils were credited: mark them absent instead of cancelling the session."]},
        )
    session.state = State.CANCELLED
    session.save(update_fields=["state"])
    audit(
        school=school,
        actor=actor,
        action="recovery.session_cancelled",
        target=session,
        changes={"reason": (reason or "").strip(), "seats_taken": session.assignments.count()},
    )
    return session


@dataclass(frozen=True)
class Assigned:
    session: RecoverySession
    assigned: list  # pupils seated by this call
    already: list  # pupils who had a seat already


def _student_ids(raw, field):
    try:
        ids = [int(value) for value in raw]
    except (TypeError, ValueError):
        raise _invalid({field: ["Give pupils by their ids, as numbers."]}, "Invalid pupils.") from None
    if not ids:
        raise _invalid({field: ["Choose at least one pupil."]}, "No pupil chosen.")
    if len(set(ids)) > MAX_PUPILS:
        raise _invalid({field: [f"Choose at most {MAX_PUPILS} pupils at a time."]}, "Too many pupils.")
    return list(dict.fromkeys(ids))


@transaction.atomic
def recovery_assign(*, school, session, student_ids, actor):
    """Seat pupils in the session; those already seated keep their seat. Refused whole when a pupil
    is not the school's (`student_not_found`), has left (`recovery_invalid`), is in another session
    at that time (`already_assigned`), or the free seats are fewer than the pupils (`recovery_full`)."""
    ids = _student_ids(student_ids, "students")
    students = {student.pk: student for student in Student.objects.for_school(school).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in students]
    if missing:
        raise AcademicsError(
            NOT_HERE,
            code=AcademicsErrorCode.STUDENT_NOT_FOUND,
            fields={"students": [f"Pupil {pk}: {NOT_HERE}" for pk in missing]},
        )
    session = _locked(school, session)
    _refuse_cancelled(session)
    seated = set(session.assignments.filter(student_id__in=ids).values_list("student_id", flat=True))
    new = [students[pk] for pk in ids if pk not in seated]
    already = [students[pk] for pk in ids if pk in seated]
    if not new:
        return Assigned(session=session, assigned=[], already=already)
    gone = [student for student in new if student.status != Student.Status.ACTIVE]
    if gone:
        raise _invalid(
            {"students": [f"{s.full_name} ({s.admission_number}) is {s.get_status_display().lower()}." for s in gone]},
            "Only pupils on roll take a recovery seat.",
        )
    _lock_pupils(school, [student.pk for student in new])
    busy = (
        RecoveryAssignment.objects.for_school(school)
        .filter(
            student_id__in=[student.pk for student in new],
            session__date=session.date,
            session__state=State.SCHEDULED,
            session__start_time__lt=session.end_time,
            session__end_time__gt=session.start_time,
        )
        .exclude(session=session)
        .select_related("session", "student")
        .order_by("student__last_name", "student__first_name", "id")
    )
    clashes = [f"{seat.student.full_name} is already in the session of {describe(seat.session)}." for seat in busy]
    if clashes:
        raise AcademicsError(
            "A pupil is in another recovery session at that time.",
            code=AcademicsErrorCode.ALREADY_ASSIGNED,
            fields={"students": clashes},
        )
    taken = session.assignments.count()
    free = max(0, session.capacity - taken)
    if len(new) > free:
        if free == 0:
            why = f"All {session.capacity} seats are taken."
        else:
            verb = "is" if free == 1 else "are"
            why = f"Only {free} of {session.capacity} seats {verb} free, for {len(new)} pupils."
        raise AcademicsError(
            "This recovery session is full." if free == 0 else "Not enough free seats.",
            code=AcademicsErrorCode.RECOVERY_FULL,
            fields={"students": [why]},
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    RecoveryAssignment.objects.bulk_create(
        [RecoveryAssignment(school=school, session=session, student=student, assigned_by=user) for student in new]
    )
    audit(
        school=school,
        actor=actor,
        action="recovery.pupils_assigned",
        target=session,
        changes={"students": [student.pk for student in new], "seats_taken": taken + len(new)},
    )
    return Assigned(session=session, assigned=new, already=already)


@transaction.atomic
def recovery_unassign(*, school, session, student_id, actor):
    """Give a pupil's seat back, before their attendance is taken."""
    session = _locked(school, session)
    seat = session.assignments.filter(student_id=student_id).select_related("student").first()
    if seat is None:
        raise AcademicsError(
            NOT_HERE, code=AcademicsErrorCode.STUDENT_NOT_FOUND, fields={"students": ["Not in this session."]}
        )
    if seat.attended is not None:
        raise AcademicsError(
            "Attendance was taken for this pupil.",
            code=AcademicsErrorCode.RECOVERY_TAKEN,
            fields={"students": [f"{seat.student.full_name}'s attendance was taken: mark them absent instead."]},
        )
    seat.delete()
    audit(
        school=school,
        actor=actor,
        action="recovery.pupil_unassigned",
        target=session,
        changes={"student": student_id},
    )
    return session


@transaction.atomic
def recovery_attendance_take(*, school, session, marks, actor, today=None):
    """Record who came ({student_id: attended}) and credit minutes; pupils not named keep what they
    had. Returns the session's assignments for the pupils named."""
    today = today or school.local_today()
    session = _locked(school, session)
    _refuse_cancelled(session)
    if session.date > today:
        raise AcademicsError(
            "That session has not happened yet.",
            code=AcademicsErrorCode.RECOVERY_IN_FUTURE,
            fields={"marks": [f"Take its attendance on {session.date:%A} {session.date.day} {session.date:%B}."]},
        )
    wanted, errors = {}, {}
    for raw_id, attended in (marks or {}).items():
        try:
            student_id = int(raw_id)
        except (TypeError, ValueError):
            errors.setdefault("marks", []).append(f"“{raw_id}” is not a pupil id.")
            continue
        if not isinstance(attended, bool):
            errors[f"marks.{student_id}"] = ["Say whether the pupil attended: true or false."]
            continue
        wanted[student_id] = attended
    if not wanted and not errors:
        errors["marks"] = ["Mark at least one pupil."]
    seats = {seat.student_id: seat for seat in session.assignments.filter(student_id__in=list(wanted))}
    for student_id in wanted:
        if student_id not in seats:
            errors[f"marks.{student_id}"] = ["This pupil has no seat in this session."]
    if errors:
        raise _invalid(errors, "Check the attendance.")
    _lock_pupils(school, list(wanted))
    start, end = school_year(school=school, date=session.date)
    cap = policy_for(school).recovery_cap_minutes
    elsewhere = credited(school=school, student_ids=list(wanted), start=start, end=end, exclude_session=session)
    changed, capped = [], []
    for student_id, attended in wanted.items():
        seat = seats[student_id]
        minutes = min(session.minutes, max(0, cap - elsewhere[student_id])) if attended else 0
        if attended and minutes < session.minutes:
            capped.append(student_id)
        if seat.attended != attended or seat.minutes_credited != minutes:
            seat.attended, seat.minutes_credited = attended, minutes
            changed.append(seat)
    RecoveryAssignment.objects.bulk_update(changed, ["attended", "minutes_credited"])
    audit(
        school=school,
        actor=actor,
        action="recovery.attendance_taken",
        target=session,
        changes={
            "attended": sum(1 for attended in wanted.values() if attended),
            "absent": sum(1 for attended in wanted.values() if not attended),
            "credited": {str(seat.student_id): seat.minutes_credited for seat in changed},
            "capped": capped,
            "cap": minutes_text(cap),
        },
    )
    return [seats[student_id] for student_id in wanted]
