"""The year-end rollover: the dry run's outcome, and the confirm that does exactly it, once."""

import datetime
import threading

import pytest
from django.db.models import Count

from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from schools.models import Enrollment, Rollover, Student
from schools.rollover_levels import GRADUATE
from schools.rollover_plan import TermPlan, load_roll, outcome_of, rollover_state
from schools.selectors import class_roster
from schools.services.rollover import rollover_run
from schools.tests import factories as f
from schools.tests.rollover_setup import confirm, dry_run, end_of_session
from schools.year_errors import YearError, YearErrorCode

D = datetime.date


@pytest.fixture
def year(school, other_school):
    end_of_session(other_school, prefix="R")
    return end_of_session(school)


def place_of(student, school):
    """(term name, session name, class name) of the pupil's active enrolment in the current term."""
    enrollment = school.enrollments.get(student=student, term=school.current_term(), status="active")
    return enrollment.class_group.name


def snapshot(school):
    return (
        list(school.enrollments.order_by("pk").values_list("pk", "status", "term_id", "class_group_id", "end_reason")),
        list(school.students.order_by("pk").values_list("pk", "status", "left_on")),
        list(school.sessions.order_by("pk").values_list("pk", "is_current")),
        list(school.terms.order_by("pk").values_list("pk", "is_current")),
        Rollover.objects.filter(school=school).count(),
    )


# --- The dry run -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_default_plan_opens_the_next_session_a_year_on_with_the_same_terms(year, school):
    outcome = dry_run(school)
    plan = outcome.plan
    assert plan.name == "2027/2028"
    # 52 weeks on: the same weekday (the session opened on a Monday, so does the next)
    assert plan.start_date == D(2027, 9, 6) and plan.start_date.weekday() == year.session.start_date.weekday()
    assert [t.name for t in plan.terms] == ["First term", "Second term", "Third term"]
    assert plan.terms[2] == TermPlan("Third term", D(2028, 4, 24), D(2028, 7, 21))
    assert outcome.ok, outcome.problems


@pytest.mark.django_db
def test_the_dry_run_promotes_each_class_to_the_next_levels_matching_class(year, school):
    outcome = dry_run(school)
    rows = {row.group.name: row for row in outcome.classes}
    assert rows["JSS 1A"].target.name == "JSS 2A" and len(rows["JSS 1A"].promoted) == 3
    assert rows["JSS 1B"].target.name == "JSS 2B"
    # JSS 3 has a single class: both JSS 2 classes go there; JSS 3 is the final year and graduates
    assert rows["JSS 2B"].target.name == "JSS 3A"
    assert rows["JSS 3A"].graduate and len(rows["JSS 3A"].graduating) == 2
    assert outcome.summary()["promoted"] == 11 and outcome.summary()["graduated"] == 2
    intake = {i.group.name: i.total for i in outcome.intake}
    assert intake == {"JSS 2A": 3, "JSS 2B": 3, "JSS 3A": 5}


@pytest.mark.django_db
def test_the_dry_run_writes_nothing(year, school):
    before = snapshot(school)
    audits = AuditLog.objects.count()
    dry_run(school, leavers={year.pupils["JSS 1A"][0].pk: "Relocated"}, repeaters={year.pupils["JSS 2A"][0].pk})
    assert snapshot(school) == before and AuditLog.objects.count() == audits


@pytest.mark.django_db
def test_a_target_class_over_its_places_is_a_problem_that_blocks_the_confirm(year, school, alice):
    # given JSS 3A can take only 4, and 5 would come in
    year.classes["JSS 3A"].capacity = 4
    year.classes["JSS 3A"].save()
    outcome = dry_run(school)
    assert not outcome.ok
    assert outcome.problems == [
        "JSS 3A would hold 5 pupils but has 4 places: raise its capacity, or send some of them elsewhere."
    ]
    before = snapshot(school)
    # when confirmed anyway
    with pytest.raises(YearError) as caught:
        confirm(school, alice)
    # then nothing changed
    assert caught.value.code == YearErrorCode.ROLLOVER_BLOCKED
    assert snapshot(school) == before


@pytest.mark.django_db
def test_a_class_with_nowhere_to_go_is_a_problem(year, school):
    mapping = dry_run(school).plan.mapping
    outcome = dry_run(school, mapping={**mapping, year.classes["JSS 1A"].pk: None})
    assert outcome.problems == ["Choose where JSS 1A's pupils go next: no class of the next level matches it."]


@pytest.mark.django_db
def test_a_new_session_that_starts_before_the_last_term_ends_is_a_field_error(year, school):
    outcome = dry_run(school, start_date=D(2027, 7, 1))
    assert "start_date" in outcome.errors and not outcome.ok


@pytest.mark.django_db
def test_terms_out_of_order_or_outside_the_session_are_field_errors(year, school):
    terms = [
        TermPlan("First term", D(2027, 9, 6), D(2027, 12, 17)),
        TermPlan("first TERM", D(2027, 12, 1), D(2028, 3, 30)),
        TermPlan("Third term", D(2028, 4, 24), D(2028, 9, 1)),
    ]
    outcome = dry_run(school, terms=terms)
    assert outcome.errors == {
        "terms.1.name": ["Another term of the new session has this name."],
        "terms.1.start_date": ["The term must start after the term above it ends."],
        "terms.2.start_date": ["The term must fall within the session's dates."],
    }


# --- The confirm ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rollover_opens_the_session_and_moves_every_pupil_up(year, school, other_school, alice):
    theirs = snapshot(other_school)
    # when
    result = confirm(school, alice)
    # then the new session and its terms exist, its first term current
    assert result.created
    new_term = school.current_term()
    assert (new_term.name, new_term.session.name, new_term.session.is_current) == ("First term", "2027/2028", True)
    assert list(new_term.session.terms.order_by("start_date").values_list("name", flat=True)) == [
        "First term",
        "Second term",
        "Third term",
    ]
    assert school.sessions.filter(is_current=True).count() == 1 and school.terms.filter(is_current=True).count() == 1
    # every pupil of JSS 1A is in JSS 2A, and their third-term place ended the day after the term
    for pupil in year.pupils["JSS 1A"]:
        assert place_of(pupil, school) == "JSS 2A"
        old = school.enrollments.get(student=pupil, term=year.third)
        assert (old.status, old.ended_on, old.end_reason) == ("ended", D(2027, 7, 24), "Promoted to JSS 2A")
    assert {place_of(p, school) for p in year.pupils["JSS 2A"] + year.pupils["JSS 2B"]} == {"JSS 3A"}
    # the final year graduated
    for pupil in year.pupils["JSS 3A"]:
        pupil.refresh_from_db()
        assert (pupil.status, pupil.left_on) == (Student.Status.GRADUATED, D(2027, 7, 23))
        assert not school.enrollments.filter(student=pupil, term=new_term).exists()
    # the row, its plan and summary, and the audit
    rollover = Rollover.objects.get(school=school)
    assert rollover.summary["promoted"] == 11 and rollover.summary["graduated"] == 2
    assert rollover.plan["session"]["name"] == "2027/2028" and rollover.created_by == alice
    assert AuditLog.objects.filter(school=school, action="rollover.completed").count() == 1
    # and Riverside did not move
    assert snapshot(other_school) == theirs


@pytest.mark.django_db
def test_an_edited_mapping_sends_a_class_where_the_admin_chose(year, school, alice):
    mapping = dry_run(school).plan.mapping
    mapping[year.classes["JSS 1A"].pk] = year.classes["JSS 2B"].pk
    mapping[year.classes["JSS 1B"].pk] = year.classes["JSS 2A"].pk
    confirm(school, alice, mapping=mapping)
    assert {place_of(p, school) for p in year.pupils["JSS 1A"]} == {"JSS 2B"}
    assert {place_of(p, school) for p in year.pupils["JSS 1B"]} == {"JSS 2A"}


@pytest.mark.django_db
def test_repeaters_stay_in_their_class_and_leavers_are_withdrawn_with_their_reason(year, school, alice):
    repeater, leaver = year.pupils["JSS 1A"][0], year.pupils["JSS 1A"][1]
    finalist = year.pupils["JSS 3A"][0]
    result = confirm(school, alice, repeaters={repeater.pk, finalist.pk}, leavers={leaver.pk: "Relocated to Abuja"})
    assert place_of(repeater, school) == "JSS 1A"
    assert place_of(finalist, school) == "JSS 3A"  # a final-year repeater stays, not graduated
    leaver.refresh_from_db()
    assert (leaver.status, leaver.leaving_reason) == (Student.Status.WITHDRAWN, "Relocated to Abuja")
    assert not school.enrollments.filter(student=leaver, status="active").exists()
    assert school.enrollments.get(student=leaver, term=year.third).end_reason == "Left: Relocated to Abuja"
    assert school.enrollments.get(student=repeater, term=year.third).end_reason == "Repeating JSS 1A"
    assert result.rollover.summary | {"classes": None} == {
        "promoted": 9,
        "repeated": 2,
        "graduated": 1,
        "left": 1,
        "skipped": 0,
        "classes": None,
    }
    assert AuditLog.objects.get(action="student.left", target_id=str(leaver.pk)).changes["reason"] == (
        "Relocated to Abuja"
    )


@pytest.mark.django_db
def test_a_graduation_mapping_graduates_a_class_that_is_not_the_final_year(year, school, alice):
    mapping = dry_run(school).plan.mapping
    mapping[year.classes["JSS 2B"].pk] = GRADUATE
    confirm(school, alice, mapping=mapping)
    assert {p.status for p in school.students.filter(pk__in=[p.pk for p in year.pupils["JSS 2B"]])} == {"graduated"}


@pytest.mark.django_db
def test_a_withdrawn_pupil_still_holding_a_place_is_not_carried(year, school, alice):
    gone = year.pupils["JSS 1B"][0]
    Student.objects.filter(pk=gone.pk).update(status=Student.Status.WITHDRAWN)
    result = confirm(school, alice)
    assert result.rollover.summary["skipped"] == 1
    assert not school.enrollments.filter(student=gone, status="active").exists()


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_says_so(year, school, alice):
    # given a school rolled over once
    first = confirm(school, alice)
    before = snapshot(school)
    # when the same plan is confirmed again for the same session
    again = rollover_run(school=school, actor=alice, from_session_id=year.session.pk, plan=first.outcome.plan)
    # then nothing changed and the answer names the first rollover
    assert not again.created and again.rollover == first.rollover
    assert snapshot(school) == before
    # and the rollover from the new session is not open yet (its first term is current)
    state = rollover_state(school)
    assert not state.ready and state.previous == first.rollover


@pytest.mark.django_db
def test_a_confirm_of_a_dry_run_that_changed_since_is_refused(year, school, alice):
    # given a dry run seen by the admin
    seen = dry_run(school)
    # when a pupil joins JSS 1A before the confirm
    late = f.StudentFactory(school=school, admission_number="LATE/1")
    f.enroll(late, year.third, year.classes["JSS 1A"])
    before = snapshot(school)
    with pytest.raises(YearError) as caught:
        rollover_run(
            school=school, actor=alice, from_session_id=year.session.pk, plan=seen.plan, fingerprint=seen.fingerprint
        )
    # then
    assert caught.value.code == YearErrorCode.ROLLOVER_STALE
    assert snapshot(school) == before


@pytest.mark.django_db
def test_the_rollover_is_closed_before_the_last_term(school, alice):
    # given the fixture's session, whose first term is current, gets a second term
    session = school.sessions.get()
    f.TermFactory(
        school=school,
        session=session,
        name="Second term",
        start_date=D(2027, 1, 5),
        end_date=D(2027, 4, 1),
        is_current=False,
    )
    # then
    state = rollover_state(school)
    assert not state.ready and "last term: Second term" in state.reason
    with pytest.raises(YearError) as caught:
        confirm(school, alice)
    assert caught.value.code == YearErrorCode.ROLLOVER_NOT_READY


@pytest.mark.django_db
def test_a_session_the_school_made_already_is_used_with_its_terms(year, school, alice):
    # given 2027/2028 made ahead (for admissions), its first term holding a newcomer in JSS 1A and a
    # pupil of JSS 1A already placed in JSS 2A for it
    following = f.SessionFactory(
        school=school, name="2027/2028", start_date=D(2027, 9, 6), end_date=D(2028, 7, 21), is_current=False
    )
    first = f.TermFactory(
        school=school, session=following, start_date=D(2027, 9, 6), end_date=D(2027, 12, 17), is_current=False
    )
    newcomer = f.StudentFactory(school=school, admission_number="NEW/1")
    f.enroll(newcomer, first, year.classes["JSS 1A"])
    early = year.pupils["JSS 1A"][0]
    f.enroll(early, first, year.classes["JSS 2A"])
    # when
    result = confirm(school, alice)
    # then no session or term was made, the early pupil was not enrolled twice
    assert result.rollover.to_session == following
    assert school.sessions.count() == 2 and following.terms.count() == 1
    assert school.current_term() == first
    assert school.enrollments.filter(student=early, term=first).count() == 1
    assert result.rollover.summary["skipped"] == 1
    assert place_of(newcomer, school) == "JSS 1A"


@pytest.mark.django_db
def test_a_pupil_that_is_not_on_the_roll_cannot_be_named(year, school, other_school):
    stranger = other_school.students.first()
    outcome = dry_run(school, leavers={stranger.pk: "Moved"})
    assert outcome.errors == {f"pupil.{stranger.pk}": ["Not a pupil of the current term."]}


@pytest.mark.django_db
def test_no_pupil_ever_has_two_active_places_in_a_term_after_the_rollover(year, school, alice):
    confirm(school, alice)
    doubled = (
        Enrollment.objects.filter(school=school, status="active")
        .values("student_id", "term_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    assert school.enrollments.filter(term=school.current_term(), status="active").count() == 11


# --- Two at once ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_confirming_at_once_roll_over_once(school, other_school, alice):
    year = end_of_session(school)
    second_admin = f.member(school, "school_admin", email="bola@greenfield.test")
    state = rollover_state(school)
    outcome = outcome_of(school, state, dry_run(school).plan, load_roll(school, state.term))
    results, lock = [], threading.Lock()

    def run(actor):
        result = rollover_run(
            school=school,
            actor=actor,
            from_session_id=year.session.pk,
            plan=outcome.plan,
            fingerprint=outcome.fingerprint,
        )
        with lock:
            results.append(result.created)

    errors = run_concurrently(run, [alice, second_admin, alice, second_admin])
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert Rollover.objects.filter(school=school).count() == 1
    assert school.sessions.filter(name="2027/2028").count() == 1
    new_term = school.current_term()
    assert school.enrollments.filter(term=new_term, status="active").count() == 11
    assert school.enrollments.filter(term=year.third, status="active").count() == 0


def rolls(school, term, classes):
    return {name: class_roster(school=school, term=term, class_group=group) for name, group in classes.items()}


@pytest.mark.django_db
def test_the_term_rolled_from_keeps_its_roll_for_results_and_publishing(year, school, alice):
    # given the last term's pupils, class by class
    before = rolls(school, year.third, year.classes)
    # when the school rolls into the next session (ending every third-term place the day after the term)
    confirm(school, alice)
    # then the third term's rosters, which results, report cards and publishing read, still list them
    assert rolls(school, year.third, year.classes) == before
    assert sum(map(len, before.values())) == 13
    # and the new term's rolls hold the promoted pupils only
    assert rolls(school, school.current_term(), year.classes)["JSS 2A"] == before["JSS 1A"]
