"""Seats in a class group for a term: its active enrollments, plus seats held for pupils not enrolled
yet (the applicants the registrar has placed in it: an admitted applicant holds a seat before they are
enrolled).

Schools may not import the apps above it, and it is not the one that knows who holds a seat, so an
app that holds seats registers a counter here at start-up (in its AppConfig.ready), the way outbox
handlers are registered. The counter reads its own rows, so a seat is given back the moment the
application that held it closes, however it closes. (A hold row kept in schools would have to be
released on every path that closes an application, and one forgotten path would leak a seat.)

Enrolment (`services.classes._check_room`) and placement (`registrar.placement`) both lock the class group's
row before they count, so they serialise on that lock and two requests never both take the last seat.
"""

from .models import ClassGroup, Enrollment

_holders = []


def seat_holder(count):
    """Register `count(*, class_group, term, exclude_student=None) -> int`: the seats held in the class
    group for the term that no active enrollment in that term accounts for. `exclude_student`: leave
    out that student's own hold (the student is the one now taking the seat)."""
    if count not in _holders:
        _holders.append(count)
    return count


def lock_class_group(class_group):
    """Take the class group's row lock (until the transaction ends): the one lock enrolments and
    placements wait on before counting its seats. Returns the row as it is now (its capacity may have
    changed since the caller read it)."""
    return ClassGroup.objects.select_for_update().get(pk=class_group.pk)


def enrolled_seats(*, class_group, term):
    return Enrollment.objects.filter(
        school_id=class_group.school_id, term=term, class_group=class_group, status=Enrollment.Status.ACTIVE
    ).count()


def class_group_seats(*, class_group, term, exclude_student=None):
    """(seats taken, capacity) of a class group in a term: its active enrollments plus the seats held
    in it (see `seat_holder`)."""
    held = sum(count(class_group=class_group, term=term, exclude_student=exclude_student) for count in _holders)
    return enrolled_seats(class_group=class_group, term=term) + held, class_group.capacity
