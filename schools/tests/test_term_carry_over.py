"""Class lists follow the pupils from one term to the next within a session: making the second term
current places everyone still on roll in the class they sat in, once, whichever way the term is made
current (page, API, a new current term); going back to an earlier term or across to another session
copies nothing (the rollover promotes between sessions)."""

import datetime

import pytest

from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from schools.models import Enrollment
from schools.selectors import class_roster
from schools.services.calendar import term_create, term_set_current, term_update
from schools.services.enrolment import student_withdraw
from schools.tests import factories as f

D = datetime.date
ACTIVE = Enrollment.Status.ACTIVE


@pytest.fixture
def year(school):
    """Greenfield's first term with two classes of pupils, and the session's second and third terms."""
    first = school.current_term()
    session = first.session
    second = f.TermFactory(
        school=school,
        session=session,
        name="Second term",
        start_date=D(2027, 1, 5),
        end_date=D(2027, 4, 1),
        is_current=False,
    )
    third = f.TermFactory(
        school=school,
        session=session,
        name="Third term",
        start_date=D(2027, 4, 26),
        end_date=D(2027, 7, 23),
        is_current=False,
    )
    a = f.ClassGroupFactory(school=school, name="JSS 2A", level="JSS 2")
    b = f.ClassGroupFactory(school=school, name="JSS 2B", level="JSS 2")
    pupils = {"a": [], "b": []}
    for key, group in (("a", a), ("b", b)):
        for _ in range(3):
            pupil = f.StudentFactory(school=school)
            f.enroll(pupil, first, group)
            pupils[key].append(pupil)
    return first, second, third, a, b, pupils


def roll(school, term):
    return sorted(
        school.enrollments.filter(term=term, status=ACTIVE).values_list("student__admission_number", "class_group_id")
    )


@pytest.mark.django_db
def test_making_the_next_term_current_carries_each_pupil_into_the_class_they_sat_in(year, school, alice):
    first, second, _third, a, b, pupils = year
    term_set_current(term=second, actor=alice)
    assert roll(school, second) == roll(school, first)
    assert {p.pk for p in pupils["a"]} == {p.pk for p in class_roster(school=school, term=second, class_group=a)}
    entry = AuditLog.objects.get(school=school, action="term.class_lists_carried")
    assert entry.changes["pupils"] == [0, len(roll(school, first))]


@pytest.mark.django_db
def test_a_pupil_who_left_is_not_carried_and_one_already_placed_keeps_their_place(year, school, alice):
    first, second, _third, a, b, pupils = year
    leaver, placed = pupils["a"][0], pupils["a"][1]
    student_withdraw(student=leaver, actor=alice, left_on=D(2026, 12, 1), reason="Relocated")
    f.enroll(placed, second, b)  # the registrar already placed them in JSS 2B for the second term
    term_set_current(term=second, actor=alice)
    carried = dict(school.enrollments.filter(term=second, status=ACTIVE).values_list("student_id", "class_group_id"))
    assert leaver.pk not in carried
    assert carried[placed.pk] == b.pk
    assert school.enrollments.filter(term=second, student=placed).count() == 1


@pytest.mark.django_db
def test_going_back_and_forward_again_copies_nothing_twice(year, school, alice):
    first, second, _third, *_ = year
    term_set_current(term=second, actor=alice)
    before = roll(school, second)
    term_set_current(term=first, actor=alice)  # back: an earlier term is history
    assert roll(school, first) == before
    term_set_current(term=second, actor=alice)
    assert roll(school, second) == before
    assert school.enrollments.filter(term=second).count() == len(before)


@pytest.mark.django_db
def test_skipping_a_term_carries_from_the_term_that_was_current(year, school, alice):
    first, _second, third, *_ = year
    term_update(term=third, actor=alice, is_current=True)  # the API's and the edit form's path
    assert roll(school, third) == roll(school, first)


@pytest.mark.django_db
def test_a_new_term_created_current_gets_the_class_lists(year, school, alice):
    first, *_ = year
    fourth = term_create(
        school=school,
        actor=alice,
        session=first.session,
        name="Summer school",
        start_date=D(2027, 7, 26),
        end_date=D(2027, 8, 20),
        is_current=True,
    )
    assert roll(school, fourth) == roll(school, first)


@pytest.mark.django_db
def test_a_term_of_another_session_gets_no_copy(year, school, alice):
    first, *_ = year
    session = f.SessionFactory(
        school=school, name="2027/2028", start_date=D(2027, 9, 6), end_date=D(2028, 7, 21), is_current=False
    )
    term = term_create(
        school=school,
        actor=alice,
        session=session,
        name="First term",
        start_date=D(2027, 9, 6),
        end_date=D(2027, 12, 17),
        is_current=True,
    )
    assert roll(school, term) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_switching_to_the_next_term_at_once_carry_each_pupil_once(year, school, alice):
    first, second, *_ = year
    expected = roll(school, first)

    def switch(_chunk):
        term_set_current(term=type(second).objects.get(pk=second.pk), actor=alice)

    assert run_concurrently(switch, [1, 2]) == []
    assert roll(school, second) == expected
    assert school.enrollments.filter(term=second).count() == len(expected)


@pytest.mark.django_db
def test_the_page_says_how_many_pupils_followed_into_the_term(year, school, alice, verified_client):
    first, second, *_ = year
    response = verified_client(alice).post(f"/s/greenfield/year/terms/{second.pk}/current/", follow=True)
    body = response.content.decode()
    count = school.enrollments.filter(term=second, status=ACTIVE).count()
    assert f"{count} pupils carried into the same classes." in body
