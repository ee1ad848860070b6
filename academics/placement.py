"""Placing an applicant: a seat in a class group for the term, and seats in timetable slots.

A class group's seats for a term are its active enrollments plus the open applications placed in it
(an approved applicant holds a seat before they are enrolled). A slot's seats are its SlotSeat rows,
up to the slot's capacity or, when it has none, the class group's. Neither may be exceeded, even by
fifty registrars pressing "Place" at once: a placement locks the class group row, then the chosen
slot rows in id order (one order for everyone, so two placements never wait on each other in a
circle), counts, and only then writes. On SQLite the IMMEDIATE transaction does the serialising.
"""

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from classpoint.audit import audit
from registrar.models import OPEN_STATUSES, Application, ApplicationEvent
from schools.models import ClassGroup, Enrollment

from .errors import AcademicsError, Conflict
from .models import ScheduleSlot, SlotSeat
from .services import NOT_HERE, describe, span


def _term_of(application):
    """The term applied for; an application without one is for the current term."""
    if application.term_id:
        return application.term
    return application.school.current_term()


def _seats_taken(*, class_group, term, exclude_application=None, exclude_student=None):
    school_id = class_group.school_id
    enrolled = Enrollment.objects.filter(
        school_id=school_id, term=term, class_group=class_group, status=Enrollment.Status.ACTIVE
    )
    for_term = Q(term=term) | Q(term__isnull=True) if term.is_current else Q(term=term)
    # An admitted applicant who is already enrolled for the term is counted once, by the enrollment.
    enrolled_student = Enrollment.objects.filter(
        student_id=OuterRef("student_id"), term=term, status=Enrollment.Status.ACTIVE
    )
    placed = (
        Application.objects.filter(school_id=school_id, placed_class_group=class_group, status__in=OPEN_STATUSES)
        .filter(for_term)
        .exclude(Exists(enrolled_student))
    )
    if exclude_application is not None:
        placed = placed.exclude(pk=exclude_application.pk)
    if exclude_student is not None:
        placed = placed.exclude(student_id=exclude_student.pk)
    return enrolled.count() + placed.count()


def class_group_seats(*, class_group, term, exclude_student=None):
    """(seats taken, capacity) of a class group in a term: its active enrollments plus the open
    applications placed in it (`exclude_student`: not counting that student's own application, when
    the student is the one taking the seat)."""
    return _seats_taken(class_group=class_group, term=term, exclude_student=exclude_student), class_group.capacity


def _slot_limit(slot):
    return slot.capacity if slot.capacity is not None else slot.class_group.capacity


def _checked(*, application, class_group, slot_ids, lock=False):
    """The term and the chosen slots, or a field-level AcademicsError (bad input, not a clash)."""
    if application.status not in OPEN_STATUSES:
        raise AcademicsError(
            f"This application is {application.get_status_display().lower()}; only open applications can be placed.",
            code="not_open",
        )
    if class_group is None:
        raise AcademicsError("Choose a class group.", fields={"class_group": ["Choose a class group."]})
    if class_group.school_id != application.school_id:
        raise AcademicsError(NOT_HERE, fields={"class_group": [NOT_HERE]})
    term = _term_of(application)
    if term is None:
        message = "The school has no current term; set one before placing applicants."
        raise AcademicsError(message, code="no_term", fields={"class_group": [message]})
    try:
        ids = sorted({int(pk) for pk in slot_ids or ()})
    except (TypeError, ValueError):
        raise AcademicsError("Invalid slots.", fields={"slot_ids": ["Give slot ids as numbers."]}) from None
    slots = ScheduleSlot.objects.filter(school_id=application.school_id, pk__in=ids)
    if lock:
        slots = slots.select_for_update(of=("self",))
    slots = list(slots.select_related("class_group", "teacher").order_by("id"))
    missing = sorted(set(ids) - {slot.pk for slot in slots})
    if missing:
        raise AcademicsError(NOT_HERE, fields={"slot_ids": [f"Slot {pk}: {NOT_HERE}" for pk in missing]})
    elsewhere = [slot for slot in slots if slot.term_id != term.pk]
    if elsewhere:
        raise AcademicsError(
            "Slots of another term.",
            fields={
                "slot_ids": [
                    f"{describe(slot)} is in another term; this application is for {term}." for slot in elsewhere
                ]
            },
        )
    return term, slots


def _conflicts(*, application, class_group, term, slots):
    conflicts = []
    taken = _seats_taken(class_group=class_group, term=term, exclude_application=application)
    if taken >= class_group.capacity:
        message = f"{class_group.name} is full for {term}: {taken} of {class_group.capacity} seats taken."
        conflicts.append(Conflict("capacity", message, "class_group"))
    mine = Q(application_id=application.pk)
    if application.student_id:
        mine |= Q(student_id=application.student_id)
    counts = dict(
        SlotSeat.objects.filter(school_id=application.school_id, slot__in=slots)
        .exclude(mine)
        .order_by()
        .values_list("slot_id")
        .annotate(n=Count("id"))
    )
    for slot in slots:
        seated, limit = counts.get(slot.pk, 0), _slot_limit(slot)
        if seated >= limit:
            message = f"{describe(slot)} is full: {seated} of {limit} seats taken."
            conflicts.append(Conflict("slot_capacity", message, "slot_ids", slot.pk))
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


def placement_conflicts(*, application, class_group, slot_ids):
    """What would stop this placement now (the Class tab's inline warning). Writes nothing; raises
    AcademicsError for input that is wrong whatever the timetable holds (another school's slot)."""
    term, slots = _checked(application=application, class_group=class_group, slot_ids=slot_ids)
    return _conflicts(application=application, class_group=class_group, term=term, slots=slots)


def _placement_note(class_group, term, slots, previous):
    note = f"Placed in {class_group.name} for {term}"
    if previous and previous != class_group.name:
        note += f" (was {previous})"
    if slots:
        note += "; slots: " + ", ".join(
            f"{slot.subject} {slot.get_weekday_display()} {span(slot.start_time, slot.end_time)}" for slot in slots
        )
    return note + "."


@transaction.atomic
def application_place(*, application, actor, class_group, slot_ids=()):
    """Place (or re-place) an applicant; their previous seats are given up in the same transaction.

    Raises AcademicsError code "conflict" (409) with the same sentences `placement_conflicts` shows."""
    school_id = application.school_id
    # The application first (one placement of it at a time), then the class group, then the slots.
    application = (
        Application.objects.filter(school_id=school_id)
        .select_for_update(of=("self",))
        .select_related("school", "term__session", "placed_class_group")
        .get(pk=application.pk)
    )
    if class_group is not None and class_group.school_id == school_id:
        class_group = ClassGroup.objects.filter(school_id=school_id).select_for_update().get(pk=class_group.pk)
    term, slots = _checked(application=application, class_group=class_group, slot_ids=slot_ids, lock=True)
    conflicts = _conflicts(application=application, class_group=class_group, term=term, slots=slots)
    if conflicts:
        raise AcademicsError.from_conflicts(conflicts)
    previous_group = application.placed_class_group.name if application.placed_class_group else ""
    previous_slots = sorted(
        SlotSeat.objects.filter(school_id=school_id, application=application).values_list("slot_id", flat=True)
    )
    SlotSeat.objects.filter(school_id=school_id, application=application).delete()
    SlotSeat.objects.bulk_create([SlotSeat(school_id=school_id, slot=slot, application=application) for slot in slots])
    application.placed_class_group = class_group
    application.placed_at = timezone.now()
    application.save(update_fields=["placed_class_group", "placed_at", "updated_at"])
    user = actor if getattr(actor, "is_authenticated", False) else None
    note = _placement_note(class_group, term, slots, previous_group)
    ApplicationEvent.objects.create(
        school_id=school_id, application=application, kind=ApplicationEvent.Kind.PLACEMENT, note=note, actor=user
    )
    audit(
        school=application.school,
        actor=actor,
        action="application.placed",
        target=application,
        changes={
            "class_group": [previous_group, class_group.name],
            "slots": [previous_slots, [slot.pk for slot in slots]],
            "term": str(term),
        },
    )
    return application


def seats_move_to_student(*, application, student):
    """On conversion (inside its transaction): the applicant's seats become the student's, keeping the
    link to the application. A seat the student already holds in the same slot is not doubled."""
    if student.school_id != application.school_id:
        raise AcademicsError(NOT_HERE, fields={"student": [NOT_HERE]})
    seats = SlotSeat.objects.filter(school_id=application.school_id, application=application)
    held = SlotSeat.objects.filter(school_id=application.school_id, student=student).exclude(application=application)
    seats.filter(slot_id__in=held.values("slot_id")).delete()
    return seats.exclude(student=student).update(student=student)
