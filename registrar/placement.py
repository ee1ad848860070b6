"""Placing an applicant: a seat in a class group for the term, and seats in timetable slots.

A class group's seats for a term are its active enrollments plus the open applications placed in it
(an approved applicant holds a seat before they are enrolled). The registrar counts its placed
applicants for schools too (`placed_seats`, registered with schools/seats.py in apps.py), so an
enrolment refuses a class its applicants have filled. The timetable's own checks (slots of another
term, full slots, clashes) are academics' (academics/seats.py).

Neither capacity may be exceeded, even by fifty registrars pressing "Place" at once: a placement
locks the application, then the class group row (the lock enrolments take too), then the chosen
slot rows in id order, counts, and only then writes. On SQLite the IMMEDIATE transaction does the
serialising. The errors are the timetable's (AcademicsError, 409 for a clash), as the registrar's
views and API have always answered them.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from academics.errors import AcademicsError, AcademicsErrorCode, Conflict
from academics.seats import chosen_slots, seat_conflicts, seats_replace, time_conflicts
from academics.services import NOT_HERE, span
from classpoint.audit import audit
from schools.models import Enrollment
from schools.seats import enrolled_seats, lock_class_group, seat_holder

from .models import OPEN_STATUSES, Application, ApplicationEvent


def _term_of(application):
    """The term applied for; an application without one is for the current term."""
    if application.term_id:
        return application.term
    return application.school.current_term()


@seat_holder
def placed_seats(*, class_group, term, exclude_student=None, exclude_application=None):
    """Open applications placed in the class group for the term whose applicant is not enrolled in it
    yet (an admitted applicant already enrolled is counted once, by the enrollment)."""
    for_term = Q(term=term) | Q(term__isnull=True) if term.is_current else Q(term=term)
    enrolled_student = Enrollment.objects.filter(
        student_id=OuterRef("student_id"), term=term, status=Enrollment.Status.ACTIVE
    )
    placed = (
        Application.objects.filter(
            school_id=class_group.school_id, placed_class_group=class_group, status__in=OPEN_STATUSES
        )
        .filter(for_term)
        .exclude(Exists(enrolled_student))
    )
    if exclude_application is not None:
        placed = placed.exclude(pk=exclude_application.pk)
    if exclude_student is not None:
        placed = placed.exclude(student_id=exclude_student.pk)
    return placed.count()


def _checked(*, application, class_group, slot_ids, lock=False):
    """The term and the chosen slots, or a field-level AcademicsError (bad input, not a clash)."""
    if application.status not in OPEN_STATUSES:
        raise AcademicsError(
            f"This application is {application.get_status_display().lower()}; only open applications can be placed.",
            code=AcademicsErrorCode.NOT_OPEN,
        )
    if class_group is None:
        raise AcademicsError(
            "Choose a class group.",
            code=AcademicsErrorCode.CLASS_GROUP_REQUIRED,
            fields={"class_group": ["Choose a class group."]},
        )
    if class_group.school_id != application.school_id:
        raise AcademicsError(
            NOT_HERE, code=AcademicsErrorCode.CLASS_GROUP_NOT_FOUND, fields={"class_group": [NOT_HERE]}
        )
    term = _term_of(application)
    if term is None:
        message = "The school has no current term; set one before placing applicants."
        raise AcademicsError(message, code=AcademicsErrorCode.NO_TERM, fields={"class_group": [message]})
    slots = chosen_slots(school_id=application.school_id, term=term, slot_ids=slot_ids, lock=lock)
    return term, slots


def _conflicts(*, application, class_group, term, slots):
    conflicts = []
    # The applicant's own seat is not counted against them (re-placing them in the same class).
    taken = enrolled_seats(class_group=class_group, term=term) + placed_seats(
        class_group=class_group, term=term, exclude_application=application
    )
    if taken >= class_group.capacity:
        message = f"{class_group.name} is full for {term}: {taken} of {class_group.capacity} seats taken."
        conflicts.append(Conflict("capacity", message, "class_group"))
    conflicts += seat_conflicts(school_id=application.school_id, slots=slots, application=application)
    return conflicts + time_conflicts(slots)


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
        class_group = lock_class_group(class_group)
    term, slots = _checked(application=application, class_group=class_group, slot_ids=slot_ids, lock=True)
    conflicts = _conflicts(application=application, class_group=class_group, term=term, slots=slots)
    if conflicts:
        raise AcademicsError.from_conflicts(conflicts)
    previous_group = application.placed_class_group.name if application.placed_class_group else ""
    previous_slots = seats_replace(school_id=school_id, application=application, slots=slots)
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
