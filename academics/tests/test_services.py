import pytest
from django.db import IntegrityError, transaction

from academics import services
from academics.errors import AcademicsError
from academics.models import ScheduleSlot, SlotSeat
from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from schools.tests import factories as f

from .factories import application, next_term, slot, staff, t

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(school):
    return staff(school, "Ada", "Obi")


@pytest.fixture
def group(school):
    return school.class_groups.get(name="GFA JSS 1A")


def create(school, actor, *, weekday=1, start="09:00", end="10:00", subject="Mathematics", **extra):
    extra.setdefault("class_group", school.class_groups.get(name="GFA JSS 1A"))
    extra.setdefault("term", school.current_term())
    return services.slot_create(
        school=school, actor=actor, subject=subject, weekday=weekday, start_time=t(start), end_time=t(end), **extra
    )


def refused(call):
    with pytest.raises(AcademicsError) as caught:
        call()
    return caught.value


# --- Overlap rules -------------------------------------------------------------------------------


def test_a_lesson_may_start_when_the_last_one_ends(school, alice, ada, group):
    # given a lesson 09:00–10:00 for Ada, in Lab 1, for JSS 1A
    create(school, alice, teacher=ada, room="Lab 1")
    # when the next one starts at 10:00 with the same teacher, room and class, and one ends at 09:00
    later = create(school, alice, start="10:00", end="11:00", teacher=ada, room="Lab 1", subject="English")
    earlier = create(school, alice, start="08:00", end="09:00", teacher=ada, room="Lab 1", subject="Civics")
    # then both are saved
    assert later.pk and earlier.pk
    assert ScheduleSlot.objects.for_school(school).count() == 3


def test_a_teacher_in_two_places_at_once_is_refused_with_who_and_which_slot(school, alice, ada, group):
    create(school, alice, teacher=ada)
    other_group = f.ClassGroupFactory(school=school, name="JSS 2B")
    error = refused(
        lambda: create(
            school, alice, start="09:30", end="10:30", teacher=ada, class_group=other_group, subject="Physics"
        )
    )
    assert error.code == "conflict" and error.status_code == 409
    assert error.message == "Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00."
    assert error.fields == {"teacher": [error.message]}
    assert [c.kind for c in error.conflicts] == ["teacher"]
    assert ScheduleSlot.objects.for_school(school).count() == 1


def test_a_room_taken_at_that_time_is_refused(school, alice, group):
    other_group = f.ClassGroupFactory(school=school, name="JSS 2B")
    create(school, alice, room="Lab 1", class_group=other_group, subject="Physics")
    error = refused(lambda: create(school, alice, start="08:30", end="09:15", room=" Lab  1 "))
    assert error.fields == {"room": ["Room Lab 1 is taken by JSS 2B Physics on Monday 09:00–10:00."]}


def test_a_class_group_in_two_lessons_at_once_is_refused(school, alice, ada, group):
    create(school, alice, teacher=ada)
    error = refused(lambda: create(school, alice, start="09:45", end="10:45", subject="English"))
    assert error.fields == {"class_group": ["GFA JSS 1A already has Mathematics with Ada Obi on Monday 09:00–10:00."]}


def test_every_clash_is_named_at_once(school, alice, ada, group):
    create(school, alice, teacher=ada, room="Lab 1")
    error = refused(lambda: create(school, alice, teacher=ada, room="Lab 1", subject="English"))
    assert sorted(error.fields) == ["class_group", "room", "teacher"]
    assert sorted(c.kind for c in error.conflicts) == ["class", "room", "teacher"]


def test_another_day_or_another_term_does_not_clash(school, alice, ada, group):
    create(school, alice, teacher=ada, room="Lab 1")
    tuesday = create(school, alice, weekday=2, teacher=ada, room="Lab 1")
    later_term = next_term(school)
    same_time_next_term = create(school, alice, term=later_term, teacher=ada, room="Lab 1")
    assert tuesday.pk and same_time_next_term.pk


def test_slot_conflicts_previews_without_writing(school, alice, ada, group):
    taken = create(school, alice, teacher=ada)
    found = services.slot_conflicts(
        school=school, term=school.current_term(), weekday=1, start_time=t("09:30"), end_time=t("09:45"), teacher=ada
    )
    assert [(c.kind, c.slot_id) for c in found] == [("teacher", taken.pk)]
    # The slot being edited never clashes with itself.
    same = {"term": taken.term, "weekday": 1, "start_time": t("09:00"), "end_time": t("10:00"), "teacher": ada}
    assert services.slot_conflicts(school=school, class_group=group, exclude_slot=taken, **same) == []
    assert ScheduleSlot.objects.for_school(school).count() == 1


def test_another_schools_timetable_never_clashes(school, other_school, alice, ada, group):
    theirs = staff(other_school, "Bola", "Ade")
    slot(other_school, teacher=theirs, room="Lab 1")
    assert create(school, alice, teacher=ada, room="Lab 1").pk


# --- Validation ----------------------------------------------------------------------------------


def test_bad_input_gets_field_errors_and_saves_nothing(school, alice, group):
    error = refused(
        lambda: services.slot_create(
            school=school,
            actor=alice,
            term=school.current_term(),
            class_group=group,
            subject=" ",
            weekday=8,
            start_time=t("10:00"),
            end_time=t("09:00"),
            room="x" * 41,
            capacity=0,
        )
    )
    assert error.code == "academics_invalid" and error.status_code == 400
    assert sorted(error.fields) == ["capacity", "end_time", "room", "subject", "weekday"]
    assert error.fields["end_time"] == ["The lesson must end after it starts (10:00)."]
    assert not ScheduleSlot.objects.exists()


def test_another_schools_term_class_or_teacher_is_not_found(school, other_school, alice):
    error = refused(
        lambda: create(
            school,
            alice,
            term=other_school.current_term(),
            class_group=other_school.class_groups.first(),
            teacher=staff(other_school, "Bola", "Ade"),
        )
    )
    assert error.fields == {field: ["Not found in this school."] for field in ("term", "class_group", "teacher")}


def test_staff_who_do_not_teach_get_no_lessons(school, alice):
    bursar = staff(school, "Bisi", "Akin", is_teacher=False)
    assert refused(lambda: create(school, alice, teacher=bursar)).fields == {
        "teacher": ["Bisi Akin is not listed as a teacher."]
    }


def test_seconds_are_dropped_so_times_compare_by_the_minute(school, alice):
    lesson = create(school, alice, start="09:00:40", end="10:00:59")
    lesson.refresh_from_db()
    assert (lesson.start_time, lesson.end_time) == (t("09:00"), t("10:00"))


# --- Update, assign a teacher, delete -------------------------------------------------------------


def test_assigning_a_free_teacher_is_saved_and_audited(school, alice, ada):
    lesson = create(school, alice)
    updated = services.slot_update(slot=lesson, actor=alice, teacher=ada)
    assert updated.teacher == ada
    entry = AuditLog.objects.for_school(school).get(action="schedule_slot.updated")
    assert entry.changes == {"teacher": ["", "Ada Obi"]}


def test_assigning_a_busy_teacher_is_refused_with_the_slot_they_teach(school, alice, ada):
    create(school, alice, teacher=ada)
    other = create(
        school,
        alice,
        class_group=f.ClassGroupFactory(school=school, name="JSS 3C"),
        subject="Biology",
        start="09:30",
        end="10:30",
    )
    error = refused(lambda: services.slot_update(slot=other, actor=alice, teacher=ada))
    assert error.fields == {"teacher": ["Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00."]}
    other.refresh_from_db()
    assert other.teacher is None


def test_moving_a_slot_checks_clashes_but_not_against_itself(school, alice, ada):
    lesson = create(school, alice, teacher=ada)
    moved = services.slot_update(slot=lesson, actor=alice, start_time=t("09:30"), end_time=t("10:30"))
    assert moved.start_time == t("09:30")
    create(school, alice, weekday=2, subject="English")
    error = refused(lambda: services.slot_update(slot=lesson, actor=alice, weekday=2))
    assert list(error.fields) == ["class_group"]


def test_unknown_changes_are_refused(school, alice):
    lesson = create(school, alice)
    assert refused(lambda: services.slot_update(slot=lesson, actor=alice, school=None)).fields == {
        "school": ["This cannot be changed."]
    }


def test_a_slot_with_seats_taken_is_not_deleted_nor_shrunk_below_them(school, alice):
    lesson = create(school, alice)
    SlotSeat.objects.create(school=school, slot=lesson, application=application(school))
    SlotSeat.objects.create(school=school, slot=lesson, application=application(school))
    error = refused(lambda: services.slot_delete(slot=lesson, actor=alice))
    assert error.code == "slot_in_use" and error.status_code == 409
    assert error.message.startswith("2 seats are taken in GFA JSS 1A Mathematics on Monday 09:00–10:00")
    shrink = refused(lambda: services.slot_update(slot=lesson, actor=alice, capacity=1))
    assert shrink.fields == {"capacity": ["2 seats are taken; the slot cannot seat fewer."]}
    assert ScheduleSlot.objects.for_school(school).filter(pk=lesson.pk).exists()


def test_an_empty_slot_is_deleted_and_audited(school, alice):
    lesson = create(school, alice)
    services.slot_delete(slot=lesson, actor=alice)
    assert not ScheduleSlot.objects.for_school(school).exists()
    assert AuditLog.objects.for_school(school).filter(action="schedule_slot.deleted").count() == 1


def test_moving_a_slot_onto_another_lesson_its_pupils_sit_is_refused(school, alice):
    # given an applicant seated in Maths (JSS 1A, Monday 9–10) and in French (another class, Monday 10–11)
    maths = create(school, alice)
    french = create(
        school,
        alice,
        class_group=f.ClassGroupFactory(school=school, name="French set"),
        subject="French",
        start="10:00",
        end="11:00",
    )
    applicant = application(school)
    for lesson in (maths, french):
        SlotSeat.objects.create(school=school, slot=lesson, application=applicant)
    # when Maths moves to 10:30
    error = refused(lambda: services.slot_update(slot=maths, actor=alice, start_time=t("10:30"), end_time=t("11:30")))
    # then the pupil's other lesson is named
    assert error.fields == {
        "start_time": ["1 pupil seated in this slot also sits French set French on Monday 10:00–11:00."]
    }


# --- PostgreSQL: the constraints are the final word ----------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_overlapping_slots_even_without_the_check(school, alice, ada):
    slot(school, teacher=ada)
    with pytest.raises(IntegrityError, match="slot_no_teacher_overlap"), transaction.atomic():
        slot(school, teacher=ada, class_group=f.ClassGroupFactory(school=school), start="09:59", end="10:30")


@pytest.mark.postgres
def test_a_request_that_loses_the_race_gets_the_conflict_message_not_a_500(school, alice, ada, monkeypatch):
    # given a slot committed by a concurrent request after this one's check ran (the check sees nothing)
    slot(school, teacher=ada)
    real = services.slot_conflicts
    calls = []

    def check_that_missed_the_winner(**kwargs):
        calls.append(kwargs)
        return [] if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "slot_conflicts", check_that_missed_the_winner)
    # when it inserts, the exclusion constraint refuses it
    error = refused(
        lambda: create(
            school,
            alice,
            teacher=ada,
            class_group=f.ClassGroupFactory(school=school, name="X"),
            start="09:30",
            end="10:30",
        )
    )
    # then the answer is the same sentence the check would have given
    assert error.code == "conflict"
    assert error.fields == {"teacher": ["Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00."]}
    assert len(calls) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_overlapping_slots_for_one_teacher_exactly_one_wins(school, alice, ada):
    groups = [f.ClassGroupFactory(school=school, name=f"Set {n}") for n in range(50)]
    term = school.current_term()

    def book(group):
        services.slot_create(
            school=school,
            actor=alice,
            term=term,
            class_group=group,
            subject="Chemistry",
            weekday=3,
            start_time=t("11:00"),
            end_time=t("12:00"),
            teacher=ada,
        )

    errors = run_concurrently(book, groups)
    assert ScheduleSlot.objects.for_school(school).filter(teacher=ada).count() == 1
    winner = ScheduleSlot.objects.for_school(school).select_related("class_group").get(teacher=ada)
    assert len(errors) == 49
    assert all(isinstance(e, AcademicsError) and e.code == "conflict" for e in errors), errors[:3]
    expected = f"Ada Obi already teaches {winner.class_group.name} Chemistry on Wednesday 11:00–12:00."
    assert {e.message for e in errors} == {expected}
