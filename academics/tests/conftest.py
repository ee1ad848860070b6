"""Attendance fixtures: a term around today with the school open every day, the first class and its
pupils, an attendance officer. A module that needs another class or other pupils defines its own."""

import pytest

from schools.tests import factories as f

from .factories import enrol_pupils, open_every_day
from .results_factories import results_world


@pytest.fixture
def attendance_term(school):
    """The current term from 40 days back to 60 ahead, the school open all seven days."""
    return open_every_day(school)


@pytest.fixture
def attendance_year(school):
    """The current term from 60 days back to 60 ahead and its school year on to 200 days ahead, the
    school open all seven days: the year the truancy scan counts over."""
    return open_every_day(school, days_back=60, year=(60, 200)).session


@pytest.fixture
def group(school):
    """The school's first class, GFA JSS 1A, with its one pupil."""
    return school.class_groups.order_by("id").first()


@pytest.fixture
def pupil(school, group):
    """The first class's own pupil (the school fixture's)."""
    return school.enrollments.get(class_group=group).student


@pytest.fixture
def pupils(school, attendance_term, group):
    """The class's pupil and three more, Adeyemi, Bello and Chukwu."""
    return enrol_pupils(school, attendance_term, group)


@pytest.fixture
def officer(school):
    return f.member(school, "attendance_officer")


@pytest.fixture
def officer_api(api, officer):
    api.force_authenticate(officer)
    return api


@pytest.fixture
def results(school, teacher):
    """A term of results for the first class (academics/tests/results_factories.py): Mathematics is
    taught by the `teacher` fixture's user; no scores yet."""
    group = school.class_groups.order_by("id").first()
    return results_world(school, school.current_term(), group, teacher_user=teacher)
