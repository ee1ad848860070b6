"""The reads schools offers the apps above: each answers for one school, and None for what it does not find."""

import pytest

from schools import selectors
from schools.models import School

from . import factories as f

pytestmark = pytest.mark.django_db


def test_school_active_finds_by_slug_or_id_and_not_a_suspended_school(school, other_school):
    assert selectors.school_active(slug="greenfield") == school
    assert selectors.school_active(school_id=school.pk, slug="greenfield") == school
    # A link's id and the page's slug must name the same school.
    assert selectors.school_active(school_id=other_school.pk, slug="greenfield") is None
    School.objects.filter(pk=school.pk).update(status=School.Status.SUSPENDED)
    assert selectors.school_active(slug="greenfield") is None
    assert selectors.school_active(school_id=school.pk) is None


def test_school_active_refuses_to_guess_which_school():
    with pytest.raises(ValueError):
        selectors.school_active()


def test_a_guardian_is_found_in_their_school_only(school, other_school):
    guardian = school.guardians.get()
    assert selectors.guardian_get(school=school, guardian_id=guardian.pk) == guardian
    assert selectors.guardian_get(school=other_school, guardian_id=guardian.pk) is None


def test_guardian_of_student_needs_the_link(school):
    guardian = school.guardians.get()
    child = school.students.get()
    stranger = f.StudentFactory(school=school)
    assert selectors.guardian_of_student(school=school, guardian_id=guardian.pk, student_id=child.pk) == guardian
    assert selectors.guardian_of_student(school=school, guardian_id=guardian.pk, student_id=stranger.pk) is None


def test_guardians_list_matches_a_phone_as_people_type_it(school):
    found = f.GuardianFactory(school=school, first_name="Ngozi", phone="+2348035550101")
    assert list(selectors.guardians_list(school=school, q="0803 555 0101")) == [found]
    assert list(selectors.guardians_list(school=school, q="ngozi")) == [found]
    assert selectors.guardians_list(school=school).count() == 2


def test_students_of_guardian_in_name_order(school, other_school):
    guardian = school.guardians.get()
    later = f.StudentFactory(school=school, last_name="Zed")
    earlier = f.StudentFactory(school=school, last_name="Abe")
    f.link(later, guardian, primary=False)
    f.link(earlier, guardian, primary=False)
    names = [s.last_name for s in selectors.students_of_guardian(school=school, guardian=guardian)]
    assert names[0] == "Abe" and names[-1] == "Zed" and len(names) == 3
