"""A pupil's place in the school over time: moving class during a term, leaving (withdrawn, with the
day and the reason), and coming back (re-admitted into a class of the current term).

An enrollment covers the school days from `started_on` (empty: its term's first day) until the day
before `ended_on`, so a register of a past day lists who sat in the class that day: a move ends the
old enrollment today and starts the new one today; leaving ends it on the day the pupil left.

Each write locks the pupil's row first (two clicks on "Move" serialise, the second finds the move
done) and, before counting a class's seats, the class's row (the lock enrolments and the registrar's
placements take: two requests never both take its last seat)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import Enrollment, Student
from ..seats import class_group_seats, lock_class_group

MAX_REASON = 200
# A pupil in school: one who can be moved or withdrawn. Withdrawn and graduated pupils have left.
ON_ROLL = (Student.Status.ADMITTED, Student.Status.ACTIVE, Student.Status.SUSPENDED)


def _on(**fields):
    """A domain error's `fields` from one message per field."""
    return {name: [text] for name, text in fields.items()}


def _locked(student):
    """The pupil's row, locked until the transaction ends, as it is now."""
    return Student.objects.for_school(student.school_id).select_for_update().get(pk=student.pk)


def _clean_reason(reason):
    return " ".join((reason or "").split())


def _current_term(school, field):
    term = school.current_term()
    if term is None:
        message = _("The school has no current term: set one under Year first.")
        raise SchoolsError(_("No current term."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=_on(**{field: message}))
    return term


def _check_class(school, class_group, term, student):
    """The class takes the pupil: it is the school's, and it has a seat this term."""
    if class_group is None or class_group.school_id != school.pk:
        raise SchoolsError(
            _("Class not found."),
            code=SchoolsErrorCode.NOT_IN_SCHOOL,
            fields=_on(class_group=_("Choose one of the school's classes.")),
        )
    class_group = lock_class_group(class_group)
    taken, capacity = class_group_seats(class_group=class_group, term=term, exclude_student=student)
    if taken >= capacity:
        message = _(
            "%(class_group)s is full: %(taken)s of %(capacity)s places are taken for %(term)s (counting "
            "applicants placed in it). Choose another class or raise its capacity."
        ) % {"class_group": class_group, "taken": taken, "capacity": capacity, "term": term}
        raise SchoolsError(_("The class is full."), code=SchoolsErrorCode.CLASS_FULL, fields=_on(class_group=message))
    return class_group


def _start_of(enrollment):
    return enrollment.started_on or enrollment.term.start_date


def _opening_day(term, today):
    """The first day of an enrollment that begins today: empty (the term's first day) until the term
    has begun."""
    return today if today > term.start_date else None


def _enrol(*, school, student, term, class_group, started_on):
    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                school=school, student=student, term=term, class_group=class_group, started_on=started_on
            )
    except IntegrityError as exc:  # the partial unique constraint: one active enrollment per term
        raise SchoolsError(
            _("Already enrolled."),
            code=SchoolsErrorCode.ALREADY_ENROLLED,
            fields={
                "class_group": [_("%(student)s already has a class in %(term)s.") % {"student": student, "term": term}]
            },
        ) from exc


@transaction.atomic
def enrollment_move(*, student, actor, class_group, reason=""):
    """Move the pupil to `class_group` from today: this term's enrollment ends today (with `reason`,
    "Moved to <class>" when none is given) and a new one in the same term starts today."""
    school = student.school
    reason = _clean_reason(reason)
    if len(reason) > MAX_REASON:
        message = _("Keep the reason under %(max)s characters.") % {"max": MAX_REASON}
        raise SchoolsError(_("Reason too long."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=_on(reason=message))
    locked = _locked(student)
    if locked.status not in ON_ROLL:
        message = _("%(student)s is %(status)s: re-admit them instead.") % {
            "student": student,
            "status": locked.get_status_display().lower(),
        }
        raise SchoolsError(
            _("The pupil has left."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=_on(class_group=message)
        )
    term = _current_term(school, "class_group")
    current = (
        school.enrollments.filter(student=student, term=term, status=Enrollment.Status.ACTIVE)
        .select_related("class_group", "term")
        .first()
    )
    if current is None:
        message = _("%(student)s is in no class in %(term)s: enrol them first.") % {"student": student, "term": term}
        raise SchoolsError(_("Not in a class."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=_on(class_group=message))
    if class_group is not None and current.class_group_id == class_group.pk:
        message = _("%(student)s is already in %(class_group)s.") % {"student": student, "class_group": class_group}
        raise SchoolsError(_("Already there."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=_on(class_group=message))
    class_group = _check_class(school, class_group, term, student)
    today = school.local_today()
    current.status = Enrollment.Status.ENDED
    current.ended_on = max(today, _start_of(current))
    current.end_reason = reason or f"Moved to {class_group.name}"
    current.save(update_fields=["status", "ended_on", "end_reason"])
    moved = _enrol(
        school=school, student=student, term=term, class_group=class_group, started_on=_opening_day(term, today)
    )
    audit(
        school=school,
        actor=actor,
        action="enrollment.moved",
        target=student,
        changes={
            "class_group": [current.class_group.name, class_group.name],
            "term": str(term),
            "on": today.isoformat(),
            "reason": current.end_reason,
        },
    )
    return moved


@transaction.atomic
def student_withdraw(*, student, actor, left_on, reason):
    """The pupil leaves: withdrawn, with the day they left and why, and every active enrollment
    ended on that day (one of a later term, not begun yet, ends before it begins)."""
    school = student.school
    today = school.local_today()
    reason = _clean_reason(reason)
    fields = {}
    if not reason:
        fields["reason"] = [_("Say why the pupil is leaving (kept on the record).")]
    elif len(reason) > MAX_REASON:
        fields["reason"] = [_("Keep the reason under %(max)s characters.") % {"max": MAX_REASON}]
    if left_on is None:
        fields["left_on"] = [_("Give the day the pupil left.")]
    elif left_on > today:
        fields["left_on"] = [
            _("The day the pupil left cannot be after today (%(today)s).") % {"today": f"{today:%-d %B %Y}"}
        ]
    locked = _locked(student)
    if locked.status not in ON_ROLL:
        fields["status"] = [
            _("%(student)s is already %(status)s.")
            % {"student": student, "status": locked.get_status_display().lower()}
        ]
    active = list(
        school.enrollments.filter(student=student, status=Enrollment.Status.ACTIVE).select_related(
            "term", "class_group"
        )
    )
    begun = [e for e in active if _start_of(e) <= today]
    latest = max(begun, key=_start_of, default=None)
    if left_on is not None and latest is not None and left_on < _start_of(latest):
        fields.setdefault("left_on", []).append(
            _("%(student)s started in %(class_group)s on %(start)s: the day they left cannot be before it.")
            % {"student": student, "class_group": latest.class_group, "start": f"{_start_of(latest):%-d %B %Y}"}
        )
    if "left_on" in fields:
        raise SchoolsError(_("The pupil was not withdrawn."), code=SchoolsErrorCode.DATES_OUT_OF_ORDER, fields=fields)
    if fields:
        raise SchoolsError(_("The pupil was not withdrawn."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=fields)
    for enrollment in active:
        enrollment.status = Enrollment.Status.ENDED
        enrollment.ended_on = max(left_on, _start_of(enrollment))
        enrollment.end_reason = f"Withdrawn: {reason}"[:MAX_REASON]
        enrollment.save(update_fields=["status", "ended_on", "end_reason"])
    changes = {
        "status": [locked.status, Student.Status.WITHDRAWN],
        "left_on": [_day(locked.left_on), left_on.isoformat()],
        "leaving_reason": [locked.leaving_reason, reason],
        "enrollments_ended": [f"{e.class_group.name} ({e.term})" for e in active],
    }
    student.status, student.left_on, student.leaving_reason = Student.Status.WITHDRAWN, left_on, reason
    student.save(update_fields=["status", "left_on", "leaving_reason", "updated_at"])
    audit(school=school, actor=actor, action="student.withdrawn", target=student, changes=changes)
    return student


def _day(value):
    return value.isoformat() if value else ""


@transaction.atomic
def student_readmit(*, student, actor, class_group):
    """A pupil who left comes back: active again (the day they left and why are cleared from the
    record, kept in the audit log) and enrolled in `class_group` for the current term from today."""
    school = student.school
    locked = _locked(student)
    if locked.status != Student.Status.WITHDRAWN:
        message = _("%(student)s is %(status)s: only a withdrawn pupil is re-admitted.") % {
            "student": student,
            "status": locked.get_status_display().lower(),
        }
        raise SchoolsError(_("Not withdrawn."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=_on(status=message))
    term = _current_term(school, "class_group")
    if school.enrollments.filter(student=student, term=term, status=Enrollment.Status.ACTIVE).exists():
        message = _("%(student)s already has a class in %(term)s.") % {"student": student, "term": term}
        raise SchoolsError(
            _("Already enrolled."), code=SchoolsErrorCode.ALREADY_ENROLLED, fields=_on(class_group=message)
        )
    class_group = _check_class(school, class_group, term, student)
    today = school.local_today()
    enrollment = _enrol(
        school=school, student=student, term=term, class_group=class_group, started_on=_opening_day(term, today)
    )
    changes = {
        "status": [locked.status, Student.Status.ACTIVE],
        "left_on": [_day(locked.left_on), ""],
        "leaving_reason": [locked.leaving_reason, ""],
        "class_group": class_group.name,
        "term": str(term),
    }
    student.status, student.left_on, student.leaving_reason = Student.Status.ACTIVE, None, ""
    student.save(update_fields=["status", "left_on", "leaving_reason", "updated_at"])
    audit(school=school, actor=actor, action="student.readmitted", target=student, changes=changes)
    return enrollment
