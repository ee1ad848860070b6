"""`manage.py rollover`: the operator's way to the same rollover, with the default plan."""

import io

import pytest
from django.core.management import CommandError, call_command

from schools.models import Rollover
from schools.tests import factories as f
from schools.tests.rollover_setup import end_of_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(school, other_school):
    end_of_session(other_school, prefix="R")
    return end_of_session(school)


def run(*args):
    out = io.StringIO()
    call_command("rollover", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_plan_and_changes_nothing(year, school):
    out = run("--school", "greenfield", "--dry-run")
    assert "would open 2027/2028: 2027-09-06 to 2028-07-21" in out
    assert "JSS 1A -> JSS 2A: 3 promoted" in out and "JSS 3A graduates: 2 graduating" in out
    assert "JSS 3A: 5 of 40 places" in out and "Dry run: nothing changed." in out
    assert not Rollover.objects.exists() and school.current_term() == year.third


def test_the_command_rolls_over_once_and_a_second_run_does_nothing(year, school, other_school):
    out = run("--school", "greenfield")
    assert "Rolled over into 2027/2028: 11 promoted, 0 repeated, 2 graduated, 0 left, 0 skipped." in out
    assert "Current term: First term 2027/2028." in out
    enrollments = school.enrollments.count()
    again = run("--school", "greenfield")
    assert "already rolled over from 2026/2027 into 2027/2028" in again and "nothing to do" in again
    assert school.enrollments.count() == enrollments and Rollover.objects.count() == 1
    # Riverside was not touched
    assert other_school.current_term().name == "Third term"


def test_another_name_for_the_new_session(year, school):
    run("--school", "greenfield", "--to-session", "2027-2028")
    assert school.current_term().session.name == "2027-2028"


def test_problems_exit_non_zero_and_change_nothing(year, school):
    year.classes["JSS 2A"].capacity = 2
    year.classes["JSS 2A"].save()
    with pytest.raises(CommandError) as caught:
        run("--school", "greenfield")
    assert "JSS 2A would hold 3 pupils but has 2 places" in str(caught.value)
    assert not Rollover.objects.exists() and school.current_term() == year.third


def test_a_school_not_in_its_last_term_is_refused(school):
    f.TermFactory(school=school, session=school.sessions.get(), name="Second term", is_current=False)
    with pytest.raises(CommandError, match="The rollover opens in 2026/2027"):
        run("--school", "greenfield")


def test_an_unknown_school_is_refused(db):
    with pytest.raises(CommandError, match="No school with slug 'nowhere'"):
        run("--school", "nowhere")
