"""Taking a register: who is on it, submitting it, editing it, correcting one mark.

One submission writes every mark of the register in one transaction, under a lock on the register's
row, so two people pressing submit at once give one register with one mark per pupil (the database's
unique constraints are the last word). Every change is audited; once the day is over a change needs a
reason. When a pupil's day turns into an unexcused absence (or a late arrival over the school's
threshold) an `attendance.absence.recorded` event asks for the same-day alert, once per pupil and day;
when a correction turns it back, `attendance.absence.withdrawn` withdraws it (alerts.py).
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from classpoint.audit import audit
from classpoint.models import OutboxEvent
from classpoint.outbox import emit
from schools.models import Enrollment, Term

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import AbsenceCode, AttendanceMark, Register
from .codes import codes_for, policy_for
from .daily import daily_aggregate

Kind = AbsenceCode.Kind
MAX_MINUTES_LATE = 600
MAX_NOTE = 200
NOT_HERE = "Not found in this school."


def term_on(*, school, date):
    """The term whose dates include `date`, or None (holidays have no registers)."""
    return (
        Term.objects.for_school(school).filter(start_date__lte=date, end_date__gte=date).order_by("-start_date").first()
    )


def pupils_on(*, school, class_group, term, date):
    """The pupils in `class_group` on `date`: enrolled for the term, started by then and not yet left
    (a pupil who left last week is not on this week's register, but is on last month's)."""
    enrollments = (
        Enrollment.objects.for_school(school)
        .filter(class_group=class_group, term=term)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=date))
        .filter(Q(ended_on__isnull=True, status=Enrollment.Status.ACTIVE) | Q(ended_on__gt=date))
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__admission_number")
    )
    return [enrollment.student for enrollment in enrollments]


def register_find(*, school, class_group, date, slot=None):
    registers = Register.objects.for_school(school).filter(class_group=class_group, date=date)
    return registers.filter(slot=slot).first() if slot else registers.filter(slot__isnull=True).first()


def check_sitting(*, school, class_group, date, slot=None, today=None):
    """The term of a register for `class_group` on `date` (and lesson `slot`), or an AcademicsError
    saying why there is no such register: a future day, a day outside every term, a lesson of
    another class, term or weekday."""
    today = today or school.local_today()
    if class_group.school_id != school.pk:
        raise AcademicsError(
            NOT_HERE, code=AcademicsErrorCode.CLASS_GROUP_NOT_FOUND, fields={"class_group": [NOT_HERE]}
        )
    if date > today:
        raise AcademicsError(
            "That day has not come yet.",
            code=AcademicsErrorCode.REGISTER_IN_FUTURE,
            fields={"date": [f"{date:%A} {date.day} {date:%B %Y} is in the future: take its register on the day."]},
        )
    if date.isoweekday() not in policy_for(school).school_days:
        raise AcademicsError(
            "Not a school day.",
            code=AcademicsErrorCode.NOT_A_SCHOOL_DAY,
            fields={"date": [f"The school does not open on {date:%A}s (attendance settings)."]},
        )
    term = term_on(school=school, date=date)
    if term is None:
        raise AcademicsError(
            "No term on that day.",
            code=AcademicsErrorCode.NO_TERM,
            fields={"date": [f"No term of the school includes {date.day} {date:%B %Y}."]},
        )
    if slot is not None:
        if slot.school_id != school.pk:
            raise AcademicsError(NOT_HERE, code=AcademicsErrorCode.SLOT_NOT_FOUND, fields={"slot": [NOT_HERE]})
        if slot.class_group_id != class_group.pk or slot.term_id != term.pk or slot.weekday != date.isoweekday():
            raise AcademicsError(
                "That lesson is not on that day.",
                code=AcademicsErrorCode.LESSON_NOT_ON_DAY,
                fields={
                    "slot": [f"{slot.subject} for {slot.class_group} is not taught on {date:%A} {date.day} {date:%b}."]
                },
            )
    return term


def _clean_marks(*, marks, pupils, codes):
    """{student_id: (code, minutes_late, note)} from the submitted rows, or field errors keyed by
    `marks.<student_id>`. Rows may name the code by its code ("A") or its id."""
    by_code = {code.code.upper(): code for code in codes} | {str(code.pk): code for code in codes}
    on_register = {pupil.pk: pupil for pupil in pupils}
    cleaned, errors = {}, {}
    for row in marks:
        raw_id = row.get("student_id", row.get("student"))
        try:
            student_id = int(raw_id)
        except (TypeError, ValueError):
            errors.setdefault("marks", []).append(f"“{raw_id}” is not a pupil id.")
            continue
        key = f"marks.{student_id}"
        if student_id not in on_register:
            errors[key] = ["This pupil is not on this register."]
            continue
        if student_id in cleaned:
            errors[key] = ["This pupil is marked twice."]
            continue
        code = by_code.get(str(row.get("code", "")).strip().upper())
        if code is None:
            errors[key] = [f"“{row.get('code', '')}” is not one of the school's attendance codes."]
            continue
        minutes = row.get("minutes_late")
        if code.kind == Kind.LATE:
            try:
                minutes = int(minutes) if minutes not in (None, "") else None
            except (TypeError, ValueError):
                minutes = -1
            if minutes is None or not 1 <= minutes <= MAX_MINUTES_LATE:
                errors[key] = [f"How many minutes late? Give a whole number from 1 to {MAX_MINUTES_LATE}."]
                continue
        else:
            minutes = None
        note = " ".join(str(row.get("note") or "").split())
        if len(note) > MAX_NOTE:
            errors[key] = [f"Keep the note under {MAX_NOTE} characters."]
            continue
        cleaned[student_id] = (code, minutes, note)
    if errors:
        raise AcademicsError("Some marks need attention.", code=AcademicsErrorCode.INVALID_MARKS, fields=errors)
    return cleaned


def _lock_register(*, school, class_group, date, slot, term, teacher):
    """The register row, created if it is the first submission, locked for this transaction."""
    existing = register_find(school=school, class_group=class_group, date=date, slot=slot)
    if existing is None:
        try:
            with transaction.atomic():
                existing = Register.objects.create(
                    school=school, class_group=class_group, date=date, slot=slot, term=term, teacher=teacher
                )
        except IntegrityError:  # someone else's first submission won: edit theirs
            existing = register_find(school=school, class_group=class_group, date=date, slot=slot)
    return Register.objects.for_school(school).select_for_update().get(pk=existing.pk)


@transaction.atomic
def register_submit(
    *, school, class_group, date, marks, actor, slot=None, teacher=None, reason="", fill_present=True, now=None
):
    """Submit (or resubmit) the register of `class_group` on `date` (lesson `slot`, or the day).

    `marks`: rows {student_id, code, minutes_late?, note?}. On the first submission pupils without a
    row are present (`fill_present`); later, they keep their mark. Editing a register once its day is
    over needs a `reason`, kept in the audit with who changed what. Returns the register."""
    now = now or timezone.now()
    today = school.local_today()
    term = check_sitting(school=school, class_group=class_group, date=date, slot=slot, today=today)
    pupils = pupils_on(school=school, class_group=class_group, term=term, date=date)
    register = _lock_register(school=school, class_group=class_group, date=date, slot=slot, term=term, teacher=teacher)
    existing = {mark.student_id: mark for mark in register.marks.select_related("code", "student")}
    # A pupil who left since keeps their mark on a register taken while they were here.
    pupils += [mark.student for mark in existing.values() if mark.student_id not in {p.pk for p in pupils}]
    codes = codes_for(school)
    cleaned = _clean_marks(marks=marks, pupils=pupils, codes=codes)
    reason = " ".join((reason or "").split())
    day_closed = date < today
    if register.is_submitted and day_closed and not reason:
        raise AcademicsError(
            "Say why the register changes.",
            code=AcademicsErrorCode.REASON_REQUIRED,
            fields={"reason": [f"The register of {date.day} {date:%B} is closed: give the reason for the change."]},
        )
    if fill_present and not register.is_submitted:
        present = next(code for code in codes if code.code == "P") if any(c.code == "P" for c in codes) else None
        for pupil in pupils:
            if pupil.pk not in cleaned and present is not None:
                cleaned[pupil.pk] = (present, None, "")
    _refuse_marks_elsewhere(
        school=school, register=register, student_ids=[sid for sid in cleaned if sid not in existing]
    )

    changes, created, updated = {}, [], []
    for student_id, (code, minutes, note) in cleaned.items():
        mark = existing.get(student_id)
        if mark is None:
            created.append(
                AttendanceMark(
                    school=school,
                    register=register,
                    student_id=student_id,
                    date=date,
                    slot=slot,
                    code=code,
                    kind=code.kind,
                    minutes_late=minutes,
                    note=note,
                    marked_at=now,
                    marked_by=_user(actor),
                )
            )
        elif (mark.code_id, mark.minutes_late, mark.note) != (code.pk, minutes, note):
            changes[mark.student.admission_number or str(student_id)] = [
                _describe(mark.code, mark.minutes_late),
                _describe(code, minutes),
            ]
            mark.code, mark.kind, mark.minutes_late, mark.note = code, code.kind, minutes, note
            mark.marked_at, mark.marked_by = now, _user(actor)
            updated.append(mark)
    try:
        with transaction.atomic():
            AttendanceMark.objects.bulk_create(created)
    except IntegrityError as exc:  # a concurrent register for the same pupil and period won the race
        raise AcademicsError(
            "A pupil was marked in another register at the same moment.",
            code=AcademicsErrorCode.ALREADY_MARKED,
            fields={"marks": ["Another register marked one of these pupils just now: open the register again."]},
        ) from exc
    AttendanceMark.objects.bulk_update(updated, ["code", "kind", "minutes_late", "note", "marked_at", "marked_by"])

    first = not register.is_submitted
    if first:
        register.submitted_at, register.submitted_by = now, _user(actor)
        if teacher is not None and register.teacher_id is None:
            register.teacher = teacher
    elif changes:
        register.updated_at, register.updated_by = now, _user(actor)
    register.save()
    if first:
        audit(
            school=school,
            actor=actor,
            action="attendance.register_submitted",
            target=register,
            changes=_tally(register),
        )
    elif changes:
        audit(
            school=school,
            actor=actor,
            action="attendance.register_edited",
            target=register,
            changes={"marks": changes, **({"reason": reason} if reason else {})},
        )
    touched = [m.student_id for m in created] + [m.student_id for m in updated]
    alerts_for_day(school=school, date=date, student_ids=touched, register=register)
    if day_closed and touched:
        # The nightly sink already holds this day: rewrite it, so the summary shows the change.
        daily_aggregate(school=school, start=date)
    return register


def mark_correct(*, school, mark, code, actor, reason, minutes_late=None, note=None):
    """An attendance officer's correction of one mark, with the reason kept in the audit."""
    if not " ".join((reason or "").split()):
        raise AcademicsError(
            "Say why the mark changes.",
            code=AcademicsErrorCode.REASON_REQUIRED,
            fields={"reason": ["Give the reason for the correction (a note from home, a register mistake…)."]},
        )
    register = mark.register
    row = {
        "student_id": mark.student_id,
        "code": code,
        "minutes_late": minutes_late,
        "note": mark.note if note is None else note,
    }
    return register_submit(
        school=school,
        class_group=register.class_group,
        date=register.date,
        slot=register.slot,
        marks=[row],
        actor=actor,
        reason=reason,
        fill_present=False,
    )


def _refuse_marks_elsewhere(*, school, register, student_ids):
    """A pupil has one mark per day (daily registers) or per lesson: one already marked in another
    class's register for the same period (moved between classes today) is named, not doubled."""
    if not student_ids:
        return
    period = Q(slot__isnull=True) if register.slot_id is None else Q(slot_id=register.slot_id)
    clash = (
        AttendanceMark.objects.for_school(school)
        .filter(period, date=register.date, student_id__in=student_ids)
        .exclude(register=register)
        .select_related("student", "register__class_group")
    )
    errors = {
        f"marks.{mark.student_id}": [
            f"{mark.student} is already marked in {mark.register.class_group}'s register for this day."
        ]
        for mark in clash
    }
    if errors:
        raise AcademicsError("Already marked elsewhere.", code=AcademicsErrorCode.ALREADY_MARKED, fields=errors)


def _describe(code, minutes):
    return f"{code.code} ({minutes} min)" if minutes else code.code


def _tally(register):
    counts = dict.fromkeys(Kind.values, 0)
    for kind in register.marks.values_list("kind", flat=True):
        counts[kind] += 1
    return counts


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def alert_key(student_id, date):
    return f"absence:{student_id}:{date.isoformat()}"


def withdrawal_key(student_id, date):
    return f"absence-withdrawn:{student_id}:{date.isoformat()}"


def alerting_marks(*, school, date, student_ids, policy=None):
    """student_id -> the mark that makes the pupil's day worth an alert (an unexcused absence, or a
    late arrival over the school's threshold), first in the day; pupils without one are absent."""
    policy = policy or policy_for(school)
    marks = (
        AttendanceMark.objects.for_school(school)
        .filter(date=date, student_id__in=student_ids)
        .filter(Q(kind=Kind.ABSENT) | Q(kind=Kind.LATE, minutes_late__gt=policy.late_alert_minutes))
        .select_related("slot")
        .order_by("slot__start_time", "id")
    )
    found = {}
    for mark in marks:
        found.setdefault(mark.student_id, mark)
    return found


def alerts_for_day(*, school, date, student_ids, register=None):
    """Ask for the day's alert for pupils whose day now warrants one, and withdraw it for pupils
    whose day no longer does. Once per pupil and day, by the events' dedupe keys."""
    if not student_ids or date != school.local_today():
        # Same-day alerts: a register taken late for a past day alarms no one about a day long gone.
        return
    alerting = alerting_marks(school=school, date=date, student_ids=student_ids)
    keys = {alert_key(sid, date): sid for sid in student_ids} | {withdrawal_key(sid, date): sid for sid in student_ids}
    sent = set(
        OutboxEvent.objects.filter(school=school, dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True)
    )
    for student_id in sorted(set(student_ids)):
        mark = alerting.get(student_id)
        alerted = alert_key(student_id, date) in sent
        if mark is not None and not alerted:
            emit(
                school=school,
                event_type="attendance.absence.recorded",
                payload={
                    "student_id": student_id,
                    "date": date.isoformat(),
                    "mark_id": mark.pk,
                    "kind": mark.kind,
                    "minutes_late": mark.minutes_late,
                    "register_id": mark.register_id,
                },
                dedupe_key=alert_key(student_id, date),
            )
        elif mark is None and alerted and withdrawal_key(student_id, date) not in sent:
            emit(
                school=school,
                event_type="attendance.absence.withdrawn",
                payload={"student_id": student_id, "date": date.isoformat()},
                dedupe_key=withdrawal_key(student_id, date),
            )
