"""Every write to the timetable: keyword-only, atomic, audited.

No double-booking has two guards. `slot_conflicts` runs first and says who and which slot is in the
way. On PostgreSQL the exclusion constraints of migration 0003 are the final word: a request that
passed the check but lost a race to a concurrent one trips a constraint, and is answered with the
same sentences, computed again once the winner is visible (READ COMMITTED: the next statement sees
the committed row). On SQLite transactions are IMMEDIATE (the write lock is taken at BEGIN), so a
check and the write after it cannot interleave with another writer.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from classpoint.audit import audit

from .errors import AcademicsError, AcademicsErrorCode, Conflict
from .models import ScheduleSlot, SlotSeat, Weekday

# Constraint name -> (conflict kind, the input it concerns).
OVERLAP_CONSTRAINTS = {
    "slot_no_teacher_overlap": ("teacher", "teacher"),
    "slot_no_room_overlap": ("room", "room"),
    "slot_no_class_overlap": ("class", "class_group"),
}
EDITABLE = ("term", "class_group", "subject", "teacher", "weekday", "start_time", "end_time", "room", "capacity")
MAX_SLOT_CAPACITY = 1000
NOT_HERE = gettext_noop("Not found in this school.")


def span(start, end):
    return f"{start:%H:%M}–{end:%H:%M}"


def when(slot):
    return f"{slot.get_weekday_display()} {span(slot.start_time, slot.end_time)}"


def describe(slot):
    """ "JSS 1A Mathematics on Monday 09:00–10:00": which slot, in the words of the timetable."""
    return _("%(class_group)s %(subject)s on %(when)s") % {
        "class_group": slot.class_group.name,
        "subject": slot.subject,
        "when": when(slot),
    }


def room_label(room):
    return room if room.lower().startswith("room") else _("Room %(room)s") % {"room": room}


def clean_room(room):
    # The database compares rooms exactly; one spelling per room keeps "Lab 1" and "Lab  1 " one room.
    return " ".join((room or "").split())


def slot_conflicts(
    *, school, term, weekday, start_time, end_time, teacher=None, room="", class_group=None, exclude_slot=None
):
    """What a slot at this time would clash with, without writing: the form's inline warning, the
    API's `schedule-slots/conflicts/` and the check before every save. Touching slots (one ends at
    09:00, the next starts at 09:00) do not clash."""
    room = clean_room(room)
    who = Q()
    if teacher is not None:
        who |= Q(teacher=teacher)
    if room:
        who |= Q(room=room)
    if class_group is not None:
        who |= Q(class_group=class_group)
    if not who or start_time is None or end_time is None or end_time <= start_time:
        return []
    clashes = (
        ScheduleSlot.objects.for_school(school)
        .filter(who, term=term, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time)
        .select_related("class_group", "teacher")
        .order_by("start_time", "id")
    )
    if exclude_slot is not None and exclude_slot.pk:
        clashes = clashes.exclude(pk=exclude_slot.pk)
    conflicts = []
    for other in clashes:
        if teacher is not None and other.teacher_id == teacher.pk:
            message = _("%(teacher)s already teaches %(slot)s.") % {"teacher": teacher, "slot": describe(other)}
            conflicts.append(Conflict("teacher", message, "teacher", other.pk))
        if room and other.room == room:
            message = _("%(room)s is taken by %(slot)s.") % {"room": room_label(room), "slot": describe(other)}
            conflicts.append(Conflict("room", message, "room", other.pk))
        if class_group is not None and other.class_group_id == class_group.pk:
            values = {"class_group": class_group.name, "subject": other.subject, "when": when(other)}
            if other.teacher:
                message = _("%(class_group)s already has %(subject)s with %(teacher)s on %(when)s.") % {
                    **values,
                    "teacher": other.teacher,
                }
            else:
                message = _("%(class_group)s already has %(subject)s on %(when)s.") % values
            conflicts.append(Conflict("class", message, "class_group", other.pk))
    return conflicts


def _clean(values):
    values = dict(values)
    values["subject"] = " ".join((values.get("subject") or "").split())
    values["room"] = clean_room(values.get("room"))
    # Lessons are timed to the minute: the constraints compare minutes of the day.
    for name in ("start_time", "end_time"):
        if values.get(name) is not None:
            values[name] = values[name].replace(second=0, microsecond=0)
    return values


def _validate(
    *, school, term, class_group, subject, teacher, weekday, start_time, end_time, room, capacity, check_teacher=True
):
    fields = {}

    def bad(field, message):
        fields.setdefault(field, []).append(message)

    if term is None:
        bad("term", _("Choose a term."))
    elif term.school_id != school.pk:
        bad("term", _(NOT_HERE))
    if class_group is None:
        bad("class_group", _("Choose a class group."))
    elif class_group.school_id != school.pk:
        bad("class_group", _(NOT_HERE))
    if teacher is not None:
        if teacher.school_id != school.pk:
            bad("teacher", _(NOT_HERE))
        elif check_teacher and not teacher.is_teacher:
            bad("teacher", _("%(teacher)s is not listed as a teacher.") % {"teacher": teacher})
    if not subject:
        bad("subject", _("Name the subject."))
    elif len(subject) > 80:
        bad("subject", _("Use at most %(max)s characters.") % {"max": 80})
    if weekday not in Weekday.values:
        bad("weekday", _("Choose a day from Monday to Sunday."))
    if start_time is None:
        bad("start_time", _("Give the time the lesson starts."))
    if end_time is None:
        bad("end_time", _("Give the time the lesson ends."))
    if start_time is not None and end_time is not None and end_time <= start_time:
        bad("end_time", _("The lesson must end after it starts (%(start)s).") % {"start": f"{start_time:%H:%M}"})
    if len(room) > 40:
        bad("room", _("Use at most %(max)s characters.") % {"max": 40})
    if capacity is not None and not 1 <= capacity <= MAX_SLOT_CAPACITY:
        message = _("A slot seats 1 to %(max)s; leave it empty to use the class's capacity.")
        bad("capacity", message % {"max": f"{MAX_SLOT_CAPACITY:,}"})
    if fields:
        raise AcademicsError(
            _("The slot has invalid fields."), code=AcademicsErrorCode.ACADEMICS_INVALID, fields=fields
        )


def _where(values):
    return {
        name: values[name] for name in ("term", "weekday", "start_time", "end_time", "teacher", "room", "class_group")
    }


def _constraint_name(exc):
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    return next((name for name in OVERLAP_CONSTRAINTS if name in str(exc)), "")


def _write(slot, *, school, values):
    """Save inside a savepoint; a lost race on an exclusion constraint becomes the conflict message."""
    try:
        with transaction.atomic():
            slot.save()
    except IntegrityError as exc:
        name = _constraint_name(exc)
        if name not in OVERLAP_CONSTRAINTS:
            raise
        conflicts = slot_conflicts(school=school, exclude_slot=slot, **_where(values))
        if not conflicts:  # the winner is not visible to us (it should be): still a clear answer
            kind, field = OVERLAP_CONSTRAINTS[name]
            message = _("Another change to the timetable just took this %(field)s at that time.") % {
                "field": field.replace("_", " ")
            }
            conflicts = [Conflict(kind, message, field)]
        raise AcademicsError.from_conflicts(conflicts) from exc


def _snapshot(slot):
    return {
        "term": str(slot.term),
        "class_group": slot.class_group.name,
        "subject": slot.subject,
        "teacher": str(slot.teacher) if slot.teacher else "",
        "weekday": slot.get_weekday_display(),
        "time": span(slot.start_time, slot.end_time),
        "room": slot.room,
        "capacity": slot.capacity,
    }


def _seats(school, slot):
    return SlotSeat.objects.for_school(school).filter(slot=slot)


@transaction.atomic
def slot_create(
    *, school, actor, term, class_group, subject, weekday, start_time, end_time, teacher=None, room="", capacity=None
):
    values = _clean(
        {
            "term": term,
            "class_group": class_group,
            "subject": subject,
            "teacher": teacher,
            "weekday": weekday,
            "start_time": start_time,
            "end_time": end_time,
            "room": room,
            "capacity": capacity,
        }
    )
    _validate(school=school, **values)
    conflicts = slot_conflicts(school=school, **_where(values))
    if conflicts:
        raise AcademicsError.from_conflicts(conflicts)
    slot = ScheduleSlot(school=school, **values)
    _write(slot, school=school, values=values)
    audit(school=school, actor=actor, action="schedule_slot.created", target=slot, changes=_snapshot(slot))
    return slot


def _seated_time_conflicts(*, school, slot, values):
    """Moving a slot with pupils seated in it must not put it on top of another slot they sit."""
    seats = list(_seats(school, slot).values_list("application_id", "student_id"))
    applications = {a for a, _ in seats if a}
    students = {s for _, s in seats if s}
    others = (
        SlotSeat.objects.for_school(school)
        .filter(Q(application_id__in=applications) | Q(student_id__in=students))
        .exclude(slot=slot)
        .filter(
            slot__term=values["term"],
            slot__weekday=values["weekday"],
            slot__start_time__lt=values["end_time"],
            slot__end_time__gt=values["start_time"],
        )
        .select_related("slot__class_group")
        .order_by("slot_id", "id")
    )
    pupils = {}
    for seat in others:
        pupils.setdefault(seat.slot, set()).add((seat.application_id, seat.student_id))
    conflicts = []
    for other, people in pupils.items():
        count = len(people)
        message = ngettext(
            "%(count)s pupil seated in this slot also sits %(slot)s.",
            "%(count)s pupils seated in this slot also sit %(slot)s.",
            count,
        ) % {"count": count, "slot": describe(other)}
        conflicts.append(Conflict("time", message, "start_time", other.pk))
    return conflicts


@transaction.atomic
def slot_update(*, slot, actor, **changes):
    """Change any of EDITABLE (assigning a teacher is `teacher=staff`, removing one `teacher=None`)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise AcademicsError(
            _("These cannot be changed."),
            code=AcademicsErrorCode.NOT_EDITABLE,
            fields={name: [_("This cannot be changed.")] for name in unknown},
        )
    school = slot.school
    locked = (
        ScheduleSlot.objects.for_school(school)
        .select_for_update(of=("self",))
        .select_related("term__session", "class_group", "teacher")
        .get(pk=slot.pk)
    )
    before = _snapshot(locked)
    values = _clean({**{name: getattr(locked, name) for name in EDITABLE}, **changes})
    # A teacher no longer listed as one keeps the lessons they have; they just get no new ones.
    _validate(school=school, check_teacher=values["teacher"] != locked.teacher, **values)
    taken = _seats(school, locked).count()
    moved = any(values[name] != getattr(locked, name) for name in ("weekday", "start_time", "end_time"))
    conflicts = slot_conflicts(school=school, exclude_slot=locked, **_where(values))
    if taken:
        if values["term"].pk != locked.term_id:
            message = _("%(taken)s seats are taken in this slot; it stays in its term.") % {"taken": taken}
            raise AcademicsError(message, code=AcademicsErrorCode.SLOT_IN_USE, fields={"term": [message]})
        limit = values["capacity"] if values["capacity"] is not None else values["class_group"].capacity
        if limit < taken:
            message = _("%(taken)s seats are taken; the slot cannot seat fewer.") % {"taken": taken}
            raise AcademicsError(message, code=AcademicsErrorCode.SLOT_IN_USE, fields={"capacity": [message]})
        if moved:
            conflicts += _seated_time_conflicts(school=school, slot=locked, values=values)
    if conflicts:
        raise AcademicsError.from_conflicts(conflicts)
    for name, value in values.items():
        setattr(locked, name, value)
    _write(locked, school=school, values=values)
    after = _snapshot(locked)
    diff = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if diff:
        audit(school=school, actor=actor, action="schedule_slot.updated", target=locked, changes=diff)
    return locked


@transaction.atomic
def slot_delete(*, slot, actor):
    """Refused while anyone is seated in the slot: their placement would silently lose a lesson."""
    school = slot.school
    locked = ScheduleSlot.objects.for_school(school).select_for_update(of=("self",)).select_related("class_group")
    locked = locked.get(pk=slot.pk)
    taken = _seats(school, locked).count()
    if taken:
        message = ngettext(
            "%(count)s seat is taken in %(slot)s; place those pupils elsewhere first.",
            "%(count)s seats are taken in %(slot)s; place those pupils elsewhere first.",
            taken,
        )
        raise AcademicsError(
            message % {"count": taken, "slot": describe(locked)},
            code=AcademicsErrorCode.SLOT_IN_USE,
        )
    audit(school=school, actor=actor, action="schedule_slot.deleted", target=locked, changes=_snapshot(locked))
    locked.delete()
