"""Seats in timetable slots: the timetable's own checks and writes when someone takes a seat.

The registrar places applicants (registrar/placement.py) and asks the timetable what stands in the
way: slots of another school or term (bad input), slots that are full, chosen slots that overlap. A
slot seats its capacity or, when it has none, its class group's. The seats are SlotSeat rows, held
by an application and, once it is converted, by the student as well.

Locking: `chosen_slots(lock=True)` locks the slot rows in id order (one order for everyone, so two
placements never wait on each other in a circle); the caller counts and writes only after that.
"""

from django.db.models import Count, Q

from .errors import AcademicsError, AcademicsErrorCode, Conflict
from .models import ScheduleSlot, SlotSeat
from .services import NOT_HERE, describe, span


def slot_limit(slot):
    return slot.capacity if slot.capacity is not None else slot.class_group.capacity


def chosen_slots(*, school_id, term, slot_ids, lock=False):
    """The slots these ids name, in id order (locked for the transaction when `lock`), or an
    AcademicsError for input that is wrong whatever the timetable holds: an id that is not a number,
    a slot of another school, a slot of another term."""
    try:
        ids = sorted({int(pk) for pk in slot_ids or ()})
    except (TypeError, ValueError):
        raise AcademicsError(
            "Invalid slots.",
            code=AcademicsErrorCode.INVALID_SLOT_IDS,
            fields={"slot_ids": ["Give slot ids as numbers."]},
        ) from None
    slots = ScheduleSlot.objects.filter(school_id=school_id, pk__in=ids)
    if lock:
        slots = slots.select_for_update(of=("self",))
    slots = list(slots.select_related("class_group", "teacher").order_by("id"))
    missing = sorted(set(ids) - {slot.pk for slot in slots})
    if missing:
        raise AcademicsError(
            NOT_HERE,
            code=AcademicsErrorCode.SLOT_NOT_FOUND,
            fields={"slot_ids": [f"Slot {pk}: {NOT_HERE}" for pk in missing]},
        )
    elsewhere = [slot for slot in slots if slot.term_id != term.pk]
    if elsewhere:
        raise AcademicsError(
            "Slots of another term.",
            code=AcademicsErrorCode.SLOT_IN_OTHER_TERM,
            fields={
                "slot_ids": [
                    f"{describe(slot)} is in another term; this application is for {term}." for slot in elsewhere
                ]
            },
        )
    return slots


def seat_conflicts(*, school_id, slots, application):
    """The chosen slots that are full, not counting the seats this applicant (or the student they
    became) already holds there: re-placing someone does not count them twice."""
    mine = Q(application_id=application.pk)
    if application.student_id:
        mine |= Q(student_id=application.student_id)
    counts = dict(
        SlotSeat.objects.filter(school_id=school_id, slot__in=slots)
        .exclude(mine)
        .order_by()
        .values_list("slot_id")
        .annotate(n=Count("id"))
    )
    conflicts = []
    for slot in slots:
        seated, limit = counts.get(slot.pk, 0), slot_limit(slot)
        if seated >= limit:
            message = f"{describe(slot)} is full: {seated} of {limit} seats taken."
            conflicts.append(Conflict("slot_capacity", message, "slot_ids", slot.pk))
    return conflicts


def time_conflicts(slots):
    """Chosen slots that overlap one another (touching ones, 09:00–10:00 and 10:00–11:00, do not)."""
    conflicts = []
    for index, first in enumerate(slots):
        for second in slots[index + 1 :]:
            if (
                first.weekday == second.weekday
                and first.start_time < second.end_time
                and second.start_time < first.end_time
            ):
                message = (
                    f"{first.class_group.name} {first.subject} and {second.class_group.name} {second.subject} "
                    f"overlap on {first.get_weekday_display()}: {span(first.start_time, first.end_time)} and "
                    f"{span(second.start_time, second.end_time)}."
                )
                conflicts.append(Conflict("time", message, "slot_ids", second.pk))
    return conflicts


def seats_replace(*, school_id, application, slots):
    """The applicant's seats become exactly these slots (call it inside the placement's transaction,
    after the checks). Returns the slot ids they held before, for the audit."""
    held = SlotSeat.objects.filter(school_id=school_id, application=application)
    previous = sorted(held.values_list("slot_id", flat=True))
    held.delete()
    SlotSeat.objects.bulk_create([SlotSeat(school_id=school_id, slot=slot, application=application) for slot in slots])
    return previous


def seats_release(*, application):
    """A closed application gives its timetable seats back to the next applicant."""
    SlotSeat.objects.for_school(application.school).filter(application=application).delete()


def seats_move_to_student(*, application, student):
    """On conversion (inside its transaction): the applicant's seats become the student's, keeping the
    link to the application. A seat the student already holds in the same slot is not doubled."""
    if student.school_id != application.school_id:
        raise AcademicsError(NOT_HERE, code=AcademicsErrorCode.STUDENT_NOT_FOUND, fields={"student": [NOT_HERE]})
    seats = SlotSeat.objects.filter(school_id=application.school_id, application=application)
    held = SlotSeat.objects.filter(school_id=application.school_id, student=student).exclude(application=application)
    seats.filter(slot_id__in=held.values("slot_id")).delete()
    return seats.exclude(student=student).update(student=student)
