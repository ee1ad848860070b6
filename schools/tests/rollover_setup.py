"""A school at the end of its session, for the rollover's tests: the fixture's 2026/2027 session with
its three terms (the third current), five classes over three levels and pupils in them."""

import datetime
from types import SimpleNamespace

from schools.models import Term
from schools.rollover_plan import default_plan, load_roll, outcome_of, rollover_state
from schools.services.calendar import term_set_current
from schools.services.rollover import rollover_run
from schools.tests import factories as f

CLASSES = {"JSS 1A": "JSS 1", "JSS 1B": "JSS 1", "JSS 2A": "JSS 2", "JSS 2B": "JSS 2", "JSS 3A": "JSS 3"}
PUPILS = {"JSS 1A": 3, "JSS 1B": 3, "JSS 2A": 3, "JSS 2B": 2, "JSS 3A": 2}


def end_of_session(school, *, prefix="P", capacity=40):
    session = school.sessions.get(is_current=True)
    second = Term.objects.create(
        school=school,
        session=session,
        name="Second term",
        start_date=datetime.date(2027, 1, 5),
        end_date=datetime.date(2027, 4, 1),
    )
    third = Term.objects.create(
        school=school,
        session=session,
        name="Third term",
        start_date=datetime.date(2027, 4, 26),
        end_date=datetime.date(2027, 7, 23),
    )
    # The conftest pupil sits in a class outside this setup's levels: end that place first, or making
    # the third term current would carry them into it (class lists follow pupils through a session).
    school.enrollments.filter(term__session=session).update(status="ended")
    term_set_current(term=third, actor=None)
    classes = {
        name: f.ClassGroupFactory(school=school, name=name, level=level, capacity=capacity)
        for name, level in CLASSES.items()
    }
    pupils = {}
    for name, count in PUPILS.items():
        pupils[name] = [
            f.StudentFactory(
                school=school,
                admission_number=f"{prefix}/{name}/{n}",
                first_name=f"{name.replace(' ', '')}Pupil{n}",
                last_name=f"Surname{n}",
            )
            for n in range(count)
        ]
        for pupil in pupils[name]:
            f.enroll(pupil, third, classes[name])
    return SimpleNamespace(session=session, second=second, third=third, classes=classes, pupils=pupils)


def dry_run(school, **changes):
    """The outcome of the default plan with `changes` (mapping, repeaters, leavers...) applied."""
    state = rollover_state(school)
    plan = default_plan(school, state)
    for key, value in changes.items():
        setattr(plan, key, value)
    return outcome_of(school, state, plan, load_roll(school, state.term))


def confirm(school, actor, **changes):
    outcome = dry_run(school, **changes)
    state = rollover_state(school)
    session_id = state.session.pk if state.session else 0
    return rollover_run(school=school, actor=actor, from_session_id=session_id, plan=outcome.plan)
