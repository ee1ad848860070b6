"""The school year's services: sessions, the current term (and with it the current session), and
deleting a class group only when nothing was ever recorded against it."""

import datetime

import pytest

from classpoint.models import AuditLog
from fees.models import FeeSchedule
from schools.errors import SchoolsError, SchoolsErrorCode
from schools.models import AcademicSession, ClassGroup
from schools.services.calendar import session_create, session_update, term_create, term_set_current, term_update
from schools.services.classes import class_group_delete, class_group_uses
from schools.tests import factories as f
from schools.year_errors import YearError, YearErrorCode

pytestmark = pytest.mark.django_db
D = datetime.date


def test_renaming_a_session_to_another_sessions_name_is_refused(school, alice):
    # given
    session_create(school=school, actor=alice, name="2027/2028", start_date=D(2027, 9, 6), end_date=D(2028, 7, 21))
    current = school.sessions.get(name="2026/2027")
    # when
    with pytest.raises(SchoolsError) as caught:
        session_update(session=current, actor=alice, name="2027/2028")
    # then
    assert caught.value.code == SchoolsErrorCode.SESSION_EXISTS and "name" in caught.value.fields
    assert school.sessions.filter(name="2026/2027").exists()


def test_a_session_whose_dates_are_out_of_order_is_refused_and_unchanged(school, alice):
    session = school.sessions.get()
    with pytest.raises(SchoolsError) as caught:
        session_update(session=session, actor=alice, end_date=D(2026, 1, 1))
    assert caught.value.fields == {"end_date": ["The end date must be after the start date."]}
    session.refresh_from_db()
    assert session.end_date == D(2027, 7, 23)


def test_updating_a_session_is_audited_with_its_changes(school, alice):
    session = school.sessions.get()
    session_update(session=session, actor=alice, name="2026-2027")
    entry = AuditLog.objects.get(action="session.updated")
    assert entry.changes == {"name": ["2026/2027", "2026-2027"]} and entry.school_id == school.pk


def test_making_a_term_current_makes_its_session_current_too(school, alice):
    # given a next session with a term, while 2026/2027's first term is current
    following = session_create(
        school=school, actor=alice, name="2027/2028", start_date=D(2027, 9, 6), end_date=D(2028, 7, 21)
    )
    term = term_create(
        school=school,
        actor=alice,
        session=following,
        name="First term",
        start_date=D(2027, 9, 6),
        end_date=D(2027, 12, 17),
    )
    # when
    term_set_current(term=term, actor=alice)
    # then exactly one current term and one current session, both the new ones
    assert list(school.terms.filter(is_current=True)) == [term]
    assert list(school.sessions.filter(is_current=True)) == [following]
    assert AuditLog.objects.filter(action="term.made_current", target_id=str(term.pk)).exists()


def test_the_api_way_of_making_a_term_current_moves_the_session_too(school, alice):
    following = session_create(
        school=school, actor=alice, name="2027/2028", start_date=D(2027, 9, 6), end_date=D(2028, 7, 21)
    )
    term = term_create(
        school=school,
        actor=alice,
        session=following,
        name="First term",
        start_date=D(2027, 9, 6),
        end_date=D(2027, 12, 17),
    )
    term_update(term=term, actor=alice, is_current=True)
    assert AcademicSession.objects.get(school=school, is_current=True) == following


def test_another_schools_current_term_is_untouched(school, other_school, alice):
    theirs = other_school.current_term()
    term = school.current_term()
    term_set_current(term=term, actor=alice)
    second = term_create(
        school=school,
        actor=alice,
        session=term.session,
        name="Second",
        start_date=D(2027, 1, 5),
        end_date=D(2027, 4, 1),
    )
    term_set_current(term=second, actor=alice)
    theirs.refresh_from_db()
    assert theirs.is_current and theirs.session.is_current


def test_a_class_nothing_was_recorded_against_is_deleted(school, alice):
    group = f.ClassGroupFactory(school=school, name="JSS 9Z")
    class_group_delete(class_group=group, actor=alice)
    assert not ClassGroup.objects.filter(pk=group.pk).exists()
    assert AuditLog.objects.get(action="class_group.deleted").target_label == "JSS 9Z"


def test_a_class_that_ever_had_a_pupil_is_kept(school, alice):
    # given the fixture's class, whose pupil's enrolment has ended
    group = school.class_groups.get()
    school.enrollments.update(status="ended")
    # when
    with pytest.raises(YearError) as caught:
        class_group_delete(class_group=group, actor=alice)
    # then
    assert caught.value.code == YearErrorCode.CLASS_IN_USE
    assert "1 enrollment" in caught.value.fields["class_group"][0]
    assert ClassGroup.objects.filter(pk=group.pk).exists()


def test_what_uses_a_class_counts_the_apps_above_schools_too(school, alice):
    # given a class only a fee schedule names (fees cascades nothing into it, schools cannot import it)
    group = f.ClassGroupFactory(school=school, name="JSS 9Y")
    FeeSchedule.objects.create(school=school, term=school.current_term(), class_group=group, name="Tuition 9Y")
    # then
    assert class_group_uses(group) == ["1 fee schedule"]
    with pytest.raises(YearError):
        class_group_delete(class_group=group, actor=alice)
