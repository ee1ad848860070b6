import pytest

from academics.errors import AcademicsError
from academics.models import SlotSeat
from academics.seats import seats_move_to_student
from academics.tests.factories import application, next_term, slot, staff
from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from registrar.models import Application, ApplicationEvent
from registrar.placement import application_place, placement_conflicts
from schools.seats import class_group_seats
from schools.services import enrollment_create
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture
def group(school):
    """GFA JSS 1A: one pupil enrolled (the fixture's), capacity 40."""
    return school.class_groups.get(name="GFA JSS 1A")


def refused(call):
    with pytest.raises(AcademicsError) as caught:
        call()
    return caught.value


def seats_of(app):
    return sorted(SlotSeat.objects.filter(application=app).values_list("slot_id", flat=True))


def test_placing_an_applicant_takes_a_class_seat_and_slot_seats(school, alice, group):
    # given an applicant in review and two lessons of the class
    maths, english = slot(school, teacher=staff(school)), slot(school, subject="English", weekday=2)
    app = application(school)
    # when the registrar places them
    placed = application_place(application=app, actor=alice, class_group=group, slot_ids=[maths.pk, english.pk])
    # then the application holds the class and the slots, with history and audit
    assert placed.placed_class_group == group and placed.placed_at is not None
    assert seats_of(app) == [maths.pk, english.pk]
    event = ApplicationEvent.objects.for_school(school).get(application=app, kind="placement")
    assert event.note.startswith("Placed in GFA JSS 1A for First term 2026/2027; slots: Mathematics Monday 09:00")
    assert event.actor == alice
    assert AuditLog.objects.for_school(school).filter(action="application.placed", target_id=str(app.pk)).exists()
    assert class_group_seats(class_group=group, term=school.current_term()) == (2, 40)


def test_a_full_class_is_a_conflict_that_names_it_and_changes_nothing(school, alice, group):
    group.capacity = 2
    group.save()
    application_place(application=application(school), actor=alice, class_group=group)
    late = application(school, first_name="Late")
    error = refused(lambda: application_place(application=late, actor=alice, class_group=group))
    assert error.code == "conflict" and error.status_code == 409
    assert error.fields == {"class_group": ["GFA JSS 1A is full for First term 2026/2027: 2 of 2 seats taken."]}
    assert [c.kind for c in error.conflicts] == ["capacity"]
    late.refresh_from_db()
    assert late.placed_class_group is None and not ApplicationEvent.objects.filter(application=late).exists()


def test_closed_applications_and_other_terms_hold_no_seat(school, alice, group):
    group.capacity = 2
    group.save()
    later_term = next_term(school)
    application(school, status=S.REJECTED, placed_class_group=group)
    application(school, status=S.WITHDRAWN, placed_class_group=group)
    application(school, term=later_term, placed_class_group=group)
    assert class_group_seats(class_group=group, term=school.current_term()) == (1, 2)
    assert application_place(application=application(school), actor=alice, class_group=group).placed_class_group


def test_an_admitted_applicant_already_enrolled_is_counted_once(school, alice, group):
    student = f.StudentFactory(school=school)
    f.enroll(student, school.current_term(), group)
    application(school, status=S.APPROVED, placed_class_group=group, student=student)
    assert class_group_seats(class_group=group, term=school.current_term()) == (2, 40)


def test_replacing_does_not_count_the_applicant_twice_and_replaces_their_seats(school, alice, group):
    group.capacity = 2  # the enrolled pupil + this applicant
    group.save()
    first, second = slot(school), slot(school, subject="English", weekday=2)
    app = application(school)
    application_place(application=app, actor=alice, class_group=group, slot_ids=[first.pk])
    application_place(application=app, actor=alice, class_group=group, slot_ids=[second.pk])
    assert seats_of(app) == [second.pk]
    assert SlotSeat.objects.filter(slot=first).count() == 0


def test_moving_to_another_class_frees_the_seat_in_the_first(school, alice, group):
    other = f.ClassGroupFactory(school=school, name="JSS 1B", capacity=1)
    app = application(school)
    application_place(application=app, actor=alice, class_group=group)
    application_place(application=app, actor=alice, class_group=other)
    term = school.current_term()
    assert class_group_seats(class_group=group, term=term) == (1, 40)
    assert class_group_seats(class_group=other, term=term) == (1, 1)
    note = ApplicationEvent.objects.filter(application=app).last().note
    assert note.startswith("Placed in JSS 1B for First term 2026/2027 (was GFA JSS 1A)")


def test_a_full_slot_is_a_conflict(school, alice, group):
    small = slot(school, capacity=1)
    application_place(application=application(school), actor=alice, class_group=group, slot_ids=[small.pk])
    error = refused(
        lambda: application_place(application=application(school), actor=alice, class_group=group, slot_ids=[small.pk])
    )
    assert error.fields == {"slot_ids": ["GFA JSS 1A Mathematics on Monday 09:00–10:00 is full: 1 of 1 seats taken."]}
    assert error.conflicts[0].slot_id == small.pk


def test_a_slot_without_capacity_seats_the_class_groups_capacity(school, alice):
    tiny = f.ClassGroupFactory(school=school, name="Tiny", capacity=1)
    lesson = slot(school, class_group=tiny)
    roomy = f.ClassGroupFactory(school=school, name="Roomy")
    application_place(application=application(school), actor=alice, class_group=roomy, slot_ids=[lesson.pk])
    conflicts = placement_conflicts(application=application(school), class_group=roomy, slot_ids=[lesson.pk])
    assert [(c.kind, c.message) for c in conflicts] == [
        ("slot_capacity", "Tiny Mathematics on Monday 09:00–10:00 is full: 1 of 1 seats taken.")
    ]


def test_two_chosen_slots_at_the_same_time_are_a_time_conflict(school, alice, group):
    maths = slot(school)
    french = slot(
        school,
        class_group=f.ClassGroupFactory(school=school, name="French set"),
        subject="French",
        start="09:30",
        end="10:30",
    )
    touching = slot(school, subject="Art", start="10:00", end="11:00")
    error = refused(
        lambda: application_place(
            application=application(school), actor=alice, class_group=group, slot_ids=[maths.pk, french.pk]
        )
    )
    assert error.fields == {
        "slot_ids": ["GFA JSS 1A Mathematics and French set French overlap on Monday: 09:00–10:00 and 09:30–10:30."]
    }
    assert (
        placement_conflicts(application=application(school), class_group=group, slot_ids=[maths.pk, touching.pk]) == []
    )


def test_placement_conflicts_writes_nothing(school, alice, group):
    group.capacity = 1
    group.save()
    app = application(school)
    conflicts = placement_conflicts(application=app, class_group=group, slot_ids=[])
    assert [c.kind for c in conflicts] == ["capacity"]
    app.refresh_from_db()
    assert app.placed_class_group is None and not SlotSeat.objects.exists()


def test_slots_of_another_term_or_school_and_another_schools_class_are_bad_input(school, other_school, alice, group):
    later_term = next_term(school)
    later = slot(school, term=later_term)
    theirs = slot(other_school)
    app = application(school)
    wrong_term = refused(
        lambda: application_place(application=app, actor=alice, class_group=group, slot_ids=[later.pk])
    )
    assert wrong_term.status_code == 400
    assert wrong_term.fields == {
        "slot_ids": [
            "GFA JSS 1A Mathematics on Monday 09:00–10:00 is in another term; this "
            "application is for First term 2026/2027."
        ]
    }
    foreign = refused(lambda: application_place(application=app, actor=alice, class_group=group, slot_ids=[theirs.pk]))
    assert foreign.fields == {"slot_ids": [f"Slot {theirs.pk}: Not found in this school."]}
    foreign_group = refused(
        lambda: application_place(application=app, actor=alice, class_group=other_school.class_groups.first())
    )
    assert foreign_group.fields == {"class_group": ["Not found in this school."]}
    assert not SlotSeat.objects.filter(application=app).exists()


def test_closed_applications_cannot_be_placed(school, alice, group):
    error = refused(
        lambda: application_place(application=application(school, status=S.REJECTED), actor=alice, class_group=group)
    )
    assert error.code == "not_open"


def test_seats_move_to_the_student_on_conversion_keeping_the_application(school, alice, group):
    lesson = slot(school)
    app = application(school)
    application_place(application=app, actor=alice, class_group=group, slot_ids=[lesson.pk])
    student = f.StudentFactory(school=school)
    assert seats_move_to_student(application=app, student=student) == 1
    assert seats_move_to_student(application=app, student=student) == 0  # idempotent
    seat = SlotSeat.objects.get(slot=lesson)
    assert (seat.application_id, seat.student_id) == (app.pk, student.pk)


# --- PostgreSQL: fifty registrars press "Place" at once -----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_placements_into_the_last_seat_exactly_one_wins(school, alice, group):
    group.capacity = 2  # one pupil enrolled: one seat left
    group.save()
    applicants = [application(school, first_name=f"Applicant{n}") for n in range(50)]

    def place(app):
        application_place(application=app, actor=alice, class_group=group)

    errors = run_concurrently(place, applicants)
    placed = Application.objects.for_school(school).filter(placed_class_group=group)
    assert placed.count() == 1
    assert len(errors) == 49, errors[:3]
    assert all(isinstance(e, AcademicsError) and e.code == "conflict" for e in errors), errors[:3]
    assert {e.message for e in errors} == {"GFA JSS 1A is full for First term 2026/2027: 2 of 2 seats taken."}
    assert class_group_seats(class_group=group, term=school.current_term()) == (2, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_placements_into_a_slots_last_seat_exactly_one_wins(school, alice, group):
    lesson = slot(school, capacity=1)
    applicants = [application(school, first_name=f"Applicant{n}") for n in range(50)]

    def place(app):
        application_place(application=app, actor=alice, class_group=group, slot_ids=[lesson.pk])

    errors = run_concurrently(place, applicants)
    assert SlotSeat.objects.filter(slot=lesson).count() == 1
    assert len(errors) == 49 and all(getattr(e, "code", None) == "conflict" for e in errors), errors[:3]
    assert {e.message for e in errors} == {"GFA JSS 1A Mathematics on Monday 09:00–10:00 is full: 1 of 1 seats taken."}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enrolments_and_placements_racing_for_the_last_seat_exactly_one_wins(school, alice, group):
    # given one seat left in the class (one pupil enrolled, capacity 2), ten applicants to place and
    # ten pupils to enrol in it, all at once
    group.capacity = 2
    group.save()
    term = school.current_term()
    applicants = [application(school, first_name=f"Applicant{n}") for n in range(10)]
    pupils = [f.StudentFactory(school=school) for _ in range(10)]

    def take(who):
        if isinstance(who, Application):
            application_place(application=who, actor=alice, class_group=group)
        else:
            enrollment_create(school=school, actor=alice, student=who, term=term, class_group=group)

    # when
    errors = run_concurrently(take, [who for pair in zip(applicants, pupils, strict=True) for who in pair])
    # then the one seat went to one of them; the placements and the enrolments counted each other
    assert len(errors) == 19, errors[:3]
    assert {getattr(e, "code", None) for e in errors} <= {"conflict", "class_full"}, errors[:3]
    assert class_group_seats(class_group=group, term=term) == (2, 2)
