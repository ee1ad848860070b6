"""The writes behind a pupil's record: moving class, withdrawing and re-admitting (services/enrolment.py),
the profile's edits keeping earlier names, and a guardian's primary contact and language."""

import datetime

import pytest

from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from schools import selectors
from schools.errors import SchoolsError, SchoolsErrorCode
from schools.models import Enrollment, Student
from schools.services.enrolment import enrollment_move, student_readmit, student_withdraw
from schools.services.people import guardian_set_primary, guardian_update, student_update
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def pupil(school):
    return school.students.get(admission_number="GFA/0001")


def active_place(student):
    return Enrollment.objects.get(student=student, status=Enrollment.Status.ACTIVE)


def new_class(school, name="GFA JSS 1B", capacity=40):
    return f.ClassGroupFactory(school=school, name=name, capacity=capacity)


def snapshot(student):
    student.refresh_from_db()
    enrollments = sorted(
        Enrollment.objects.filter(student=student).values_list("class_group_id", "status", "ended_on", "end_reason")
    )
    return student.status, student.left_on, student.leaving_reason, enrollments


# --- moving class -----------------------------------------------------------------------------------


def test_moving_class_ends_todays_place_and_opens_one_in_the_same_term(school, alice):
    student, target = pupil(school), new_class(school)
    before = active_place(student)
    today = school.local_today()

    moved = enrollment_move(student=student, actor=alice, class_group=target, reason="Timetable clash")

    before.refresh_from_db()
    assert (before.status, before.ended_on, before.end_reason) == ("ended", today, "Timetable clash")
    assert (moved.term_id, moved.class_group_id, moved.status) == (before.term_id, target.pk, "active")
    assert moved.started_on == (today if today > moved.term.start_date else None)
    entry = AuditLog.objects.get(action="enrollment.moved", target_id=str(student.pk))
    assert entry.changes["class_group"] == ["GFA JSS 1A", "GFA JSS 1B"] and entry.actor == alice


def test_a_move_without_a_reason_says_where_to(school, alice):
    student, target = pupil(school), new_class(school)
    old = active_place(student)
    enrollment_move(student=student, actor=alice, class_group=target)
    old.refresh_from_db()
    assert old.end_reason == "Moved to GFA JSS 1B"


def test_a_full_class_refuses_the_move_and_nothing_changes(school, alice):
    student = pupil(school)
    full = new_class(school, capacity=1)
    occupant = f.StudentFactory(school=school)
    f.enroll(occupant, school.current_term(), full)
    before = snapshot(student)

    with pytest.raises(SchoolsError) as refused:
        enrollment_move(student=student, actor=alice, class_group=full)

    assert refused.value.code == SchoolsErrorCode.CLASS_FULL and "1 of 1" in refused.value.fields["class_group"][0]
    assert snapshot(student) == before
    assert not AuditLog.objects.filter(action="enrollment.moved").exists()


def test_moving_into_the_class_the_pupil_is_in_is_refused(school, alice):
    student = pupil(school)
    with pytest.raises(SchoolsError) as refused:
        enrollment_move(student=student, actor=alice, class_group=active_place(student).class_group)
    assert "already in" in refused.value.fields["class_group"][0]
    assert Enrollment.objects.filter(student=student).count() == 1


def test_a_pupil_in_no_class_this_term_is_enrolled_not_moved(school, alice):
    student = f.StudentFactory(school=school)
    with pytest.raises(SchoolsError) as refused:
        enrollment_move(student=student, actor=alice, class_group=new_class(school))
    assert "in no class" in refused.value.fields["class_group"][0]


def test_another_schools_class_is_refused(school, other_school, alice):
    student = pupil(school)
    before = snapshot(student)
    with pytest.raises(SchoolsError) as refused:
        enrollment_move(student=student, actor=alice, class_group=other_school.class_groups.get())
    assert refused.value.code == SchoolsErrorCode.NOT_IN_SCHOOL
    assert snapshot(student) == before


def test_a_withdrawn_pupil_is_not_moved(school, alice):
    student = pupil(school)
    student_withdraw(student=student, actor=alice, left_on=school.local_today(), reason="Relocated")
    with pytest.raises(SchoolsError) as refused:
        enrollment_move(student=student, actor=alice, class_group=new_class(school))
    assert "re-admit" in refused.value.fields["class_group"][0]


# --- withdrawing --------------------------------------------------------------------------------------


def test_withdrawing_keeps_the_day_and_reason_and_ends_the_place(school, alice):
    student = pupil(school)
    place = active_place(student)
    left_on = max(school.local_today() - DAY, place.term.start_date)

    student_withdraw(student=student, actor=alice, left_on=left_on, reason="  Relocated   to Abuja ")

    student.refresh_from_db()
    place.refresh_from_db()
    assert (student.status, student.left_on, student.leaving_reason) == ("withdrawn", left_on, "Relocated to Abuja")
    assert (place.status, place.ended_on, place.end_reason) == ("ended", left_on, "Withdrawn: Relocated to Abuja")
    entry = AuditLog.objects.get(action="student.withdrawn", target_id=str(student.pk))
    assert entry.changes["status"] == ["active", "withdrawn"]
    assert entry.changes["left_on"] == ["", left_on.isoformat()]


def test_a_leaving_day_after_today_is_refused(school, alice):
    student = pupil(school)
    before = snapshot(student)
    with pytest.raises(SchoolsError) as refused:
        student_withdraw(student=student, actor=alice, left_on=school.local_today() + DAY, reason="Moving")
    assert refused.value.code == SchoolsErrorCode.DATES_OUT_OF_ORDER
    assert "after today" in refused.value.fields["left_on"][0]
    assert snapshot(student) == before


def test_a_leaving_day_before_the_pupil_started_in_the_class_is_refused(school, alice):
    student = pupil(school)
    place = active_place(student)
    place.started_on = school.local_today()
    place.save()
    before = snapshot(student)
    with pytest.raises(SchoolsError) as refused:
        student_withdraw(student=student, actor=alice, left_on=place.started_on - DAY, reason="Moving")
    assert "cannot be before it" in refused.value.fields["left_on"][0]
    assert snapshot(student) == before


def test_withdrawing_needs_a_reason_and_a_pupil_still_on_the_roll(school, alice):
    student = pupil(school)
    with pytest.raises(SchoolsError) as blank:
        student_withdraw(student=student, actor=alice, left_on=school.local_today(), reason="   ")
    assert "reason" in blank.value.fields
    student_withdraw(student=student, actor=alice, left_on=school.local_today(), reason="Relocated")
    with pytest.raises(SchoolsError) as again:
        student_withdraw(student=student, actor=alice, left_on=school.local_today(), reason="Twice")
    assert "already withdrawn" in again.value.fields["status"][0]
    assert AuditLog.objects.filter(action="student.withdrawn").count() == 1


# --- re-admitting ---------------------------------------------------------------------------------------


def test_readmitting_makes_the_pupil_active_in_a_class_of_the_current_term(school, alice):
    student = pupil(school)
    student_withdraw(student=student, actor=alice, left_on=school.local_today(), reason="Relocated")
    target = new_class(school)

    enrollment = student_readmit(student=student, actor=alice, class_group=target)

    student.refresh_from_db()
    assert (student.status, student.left_on, student.leaving_reason) == ("active", None, "")
    assert (enrollment.term, enrollment.class_group, enrollment.status) == (school.current_term(), target, "active")
    entry = AuditLog.objects.get(action="student.readmitted")
    assert entry.changes["leaving_reason"] == ["Relocated", ""]
    assert Enrollment.objects.filter(student=student, status="ended").count() == 1


def test_only_a_withdrawn_pupil_is_readmitted(school, alice):
    with pytest.raises(SchoolsError) as refused:
        student_readmit(student=pupil(school), actor=alice, class_group=new_class(school))
    assert "only a withdrawn pupil" in refused.value.fields["status"][0]


def test_readmitting_into_a_full_class_changes_nothing(school, alice):
    student = pupil(school)
    student_withdraw(student=student, actor=alice, left_on=school.local_today(), reason="Relocated")
    full = new_class(school, capacity=0)
    before = snapshot(student)
    with pytest.raises(SchoolsError) as refused:
        student_readmit(student=student, actor=alice, class_group=full)
    assert refused.value.code == SchoolsErrorCode.CLASS_FULL
    assert snapshot(student) == before


def test_readmitting_a_pupil_who_still_has_a_class_this_term_is_a_double_enrolment(school, alice):
    student = pupil(school)
    # A withdrawn pupil whose place was never ended (imported that way): a second place is refused.
    Student.objects.filter(pk=student.pk).update(status=Student.Status.WITHDRAWN)
    student.refresh_from_db()
    with pytest.raises(SchoolsError) as refused:
        student_readmit(student=student, actor=alice, class_group=new_class(school))
    assert refused.value.code == SchoolsErrorCode.ALREADY_ENROLLED
    assert Enrollment.objects.filter(student=student).count() == 1


# --- the profile and the guardians -----------------------------------------------------------------------


def test_a_change_of_name_and_birthday_keeps_the_old_values_readable(school, alice):
    student = pupil(school)
    student_update(student=student, actor=alice, first_name="Adaeze", date_of_birth=datetime.date(2013, 6, 2))
    history = selectors.student_identity_history(student=student)
    rows = {(h["label"], h["old"], h["new"], h["who"]) for h in history}
    assert ("First name", "GFAPupil", "Adaeze", alice.username) in rows
    assert ("Date of birth", "2013-05-01", "2013-06-02", alice.username) in rows


def test_a_date_of_birth_after_today_is_refused(school, alice):
    student = pupil(school)
    with pytest.raises(SchoolsError) as refused:
        student_update(student=student, actor=alice, date_of_birth=school.local_today() + DAY)
    assert "date_of_birth" in refused.value.fields
    student.refresh_from_db()
    assert student.date_of_birth == datetime.date(2013, 5, 1)


def test_choosing_the_primary_contact_moves_it_and_is_audited(school, alice):
    student = pupil(school)
    first = student.guardian_links.get().guardian
    second = f.GuardianFactory(school=school, first_name="Bayo")
    f.link(student, second, primary=False)

    guardian_set_primary(student=student, guardian=second, actor=alice)

    assert dict(student.guardian_links.values_list("guardian_id", "is_primary")) == {first.pk: False, second.pk: True}
    entry = AuditLog.objects.get(action="student.primary_guardian_set")
    assert entry.changes["primary_guardian"] == [str(first), str(second)]


def test_a_guardian_not_linked_to_the_pupil_cannot_be_its_primary_contact(school, alice):
    stranger = f.GuardianFactory(school=school)
    with pytest.raises(SchoolsError) as refused:
        guardian_set_primary(student=pupil(school), guardian=stranger, actor=alice)
    assert refused.value.code == SchoolsErrorCode.GUARDIAN_NOT_FOUND


def test_a_guardians_language_is_one_the_platform_speaks(school, alice):
    guardian = pupil(school).guardian_links.get().guardian
    guardian_update(guardian=guardian, actor=alice, preferred_language="yo")
    guardian.refresh_from_db()
    assert guardian.preferred_language == "yo"
    with pytest.raises(SchoolsError) as refused:
        guardian_update(guardian=guardian, actor=alice, preferred_language="klingon")
    assert "preferred_language" in refused.value.fields
    guardian.refresh_from_db()
    assert guardian.preferred_language == "yo"


# --- PostgreSQL: clicks at once -------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pupils_moved_at_once_into_a_classs_last_seat_one_gets_it(school, alice):
    # given a class with one seat left and ten pupils of another class moved into it at once
    target = new_class(school, capacity=1)
    term, origin = school.current_term(), school.class_groups.get(name="GFA JSS 1A")
    movers = [f.StudentFactory(school=school) for _ in range(10)]
    for mover in movers:
        f.enroll(mover, term, origin)

    errors = run_concurrently(lambda mover: enrollment_move(student=mover, actor=alice, class_group=target), movers)

    # then exactly one moved; the others were told the class is full and kept their place
    assert len(errors) == 9 and {getattr(e, "code", None) for e in errors} == {SchoolsErrorCode.CLASS_FULL}, errors[:3]
    assert Enrollment.objects.filter(class_group=target, status="active").count() == 1
    assert Enrollment.objects.filter(student__in=movers, status="active").count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_pupil_moved_twice_at_once_has_one_class(school, alice):
    student = pupil(school)
    targets = [new_class(school, name=f"GFA JSS 1{letter}") for letter in "BCDE"]

    errors = run_concurrently(lambda target: enrollment_move(student=student, actor=alice, class_group=target), targets)

    # the row lock serialises the moves: each ends the place the one before opened
    assert not errors, errors
    assert Enrollment.objects.filter(student=student, status="active").count() == 1
    assert Enrollment.objects.filter(student=student, status="ended").count() == 4
