"""The year-end rollover, read side: where the school stands (may it roll over now?), the default
plan, and the outcome of a plan, worked out without writing anything. The dry run shows this
outcome; `services.rollover.rollover_run` works it out again under its locks and does exactly it.

When: from the current session once its current term is the session's last term (or that term has
ended and no other term was made current). Promotion is decided in the last term; the pupils keep
their places in it until its last day (their enrolments end the day after it), so registers and
report-card days stay right even when the rollover is done before the holiday. Earlier, a rollover
would end the enrolments of a term still to be taught.

The plan names the new session (a new one, made with its terms, or one the school already made with
that name, with the terms it has), where each class goes (a class of the next level, or
graduation), and the pupils who repeat (stay in their class) or leave (withdrawn, with a reason).
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Enrollment, Rollover, Student
from .rollover_levels import GRADUATE, default_mapping, level_key
from .seats import class_group_seats, lock_class_group

MAX_TERMS = 6
MAX_REASON = 180  # "Left: " and the reason fit Enrollment.end_reason (200)
# Pupils in these states move on with their class; anyone else still holding a place (a withdrawn
# or graduated pupil whose enrolment was never ended) is not carried, and their place ends.
CARRIED = (Student.Status.ACTIVE, Student.Status.SUSPENDED, Student.Status.ADMITTED)
PROMOTE, REPEAT, GRADUATES, LEAVE, SKIP = "promote", "repeat", "graduate", "leave", "skip"
_YEARS = re.compile(r"^(?P<a>\d{4})(?P<sep>\s*[/\-–]\s*)(?P<b>\d{4})$")


@dataclass
class State:
    """Where the school stands. `ready`: a rollover may be planned and confirmed now."""

    term: object = None  # the current term
    session: object = None  # the session rolled from (the current term's)
    terms: list = field(default_factory=list)  # its terms, first to last
    ready: bool = False
    reason: str = ""
    done: object = None  # the Rollover from this session, if it was rolled over already
    previous: object = None  # the Rollover into this session, if any

    @property
    def last_term(self):
        return self.terms[-1] if self.terms else None


def rollover_state(school):
    term = school.current_term()
    if term is None:
        return State(reason=_("The school has no current term. Make the session's last term current first."))
    session = term.session
    terms = list(session.terms.order_by("start_date", "id"))
    rollovers = Rollover.objects.for_school(school).filter(Q(from_session=session) | Q(to_session=session))
    found = list(rollovers.select_related("from_session", "to_session", "created_by"))
    done = next((r for r in found if r.from_session_id == session.pk), None)
    previous = next((r for r in found if r.to_session_id == session.pk), None)
    state = State(term=term, session=session, terms=terms, done=done, previous=previous)
    if done is not None:
        state.reason = _("%(session)s was rolled over into %(to_session)s on %(date)s.") % {
            "session": session,
            "to_session": done.to_session,
            "date": f"{done.created_at:%d %B %Y}",
        }
    elif term.pk != terms[-1].pk:
        last = terms[-1]
        state.reason = _(
            "The rollover opens in %(session)s's last term: %(last)s, from %(date)s. The current term is %(term)s."
        ) % {"session": session, "last": last.name, "date": f"{last.start_date:%d %B %Y}", "term": term.name}
    else:
        state.ready = True
    return state


# --- The plan ----------------------------------------------------------------------------------------


@dataclass
class TermPlan:
    name: str
    start_date: datetime.date
    end_date: datetime.date


@dataclass
class Plan:
    name: str
    start_date: datetime.date
    end_date: datetime.date
    terms: list  # [TermPlan], ignored when the session named exists already
    mapping: dict  # {class group id: class group id | GRADUATE | None}
    repeaters: set = field(default_factory=set)  # student ids
    leavers: dict = field(default_factory=dict)  # {student id: reason}

    def as_json(self):
        return {
            "session": {"name": self.name, "start_date": str(self.start_date), "end_date": str(self.end_date)},
            "terms": [
                {"name": t.name, "start_date": str(t.start_date), "end_date": str(t.end_date)} for t in self.terms
            ],
            "mapping": {str(k): v for k, v in sorted(self.mapping.items())},
            "repeaters": sorted(self.repeaters),
            "leavers": {str(k): v for k, v in sorted(self.leavers.items())},
        }


def shifted(day):
    """The same weekday a year on (52 weeks later): a term that opened on a Monday opens on a Monday."""
    return day + datetime.timedelta(weeks=52)


def next_session_name(session):
    match = _YEARS.match(session.name.strip())
    if match:
        return f"{int(match['a']) + 1}{match['sep']}{int(match['b']) + 1}"
    start, end = shifted(session.start_date), shifted(session.end_date)
    return f"{start.year}/{end.year}" if end.year != start.year else str(start.year)


def default_plan(school, state):
    session = state.session
    return Plan(
        name=next_session_name(session),
        start_date=shifted(session.start_date),
        end_date=shifted(session.end_date),
        terms=[TermPlan(t.name, shifted(t.start_date), shifted(t.end_date)) for t in state.terms],
        mapping=default_mapping(school.class_groups.all()),
    )


# --- The roll: who is in which class in the last term --------------------------------------------------


def load_roll(school, term):
    """[(class group, [enrollment with .student])] of the term's active enrolments, classes in level
    order, pupils by name. One query."""
    enrollments = (
        school.enrollments.filter(term=term, status=Enrollment.Status.ACTIVE)
        .select_related("student", "class_group")
        .order_by("student__last_name", "student__first_name", "student_id")
    )
    by_group = {}
    for enrollment in enrollments:
        by_group.setdefault(enrollment.class_group_id, (enrollment.class_group, []))[1].append(enrollment)
    return sorted(by_group.values(), key=lambda pair: (level_key(pair[0].level), pair[0].name.lower()))


# --- The outcome -----------------------------------------------------------------------------------


@dataclass
class PupilOutcome:
    enrollment: object
    action: str  # PROMOTE, REPEAT, GRADUATES, LEAVE or SKIP
    target: object = None  # the class group of the new term (promoted or repeating)
    reason: str = ""  # a leaver's reason; why a pupil is skipped

    @property
    def student(self):
        return self.enrollment.student


@dataclass
class ClassOutcome:
    group: object
    target: object = None  # the next class, or None (graduating, or no target chosen)
    graduate: bool = False
    pupils: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def of(self, action):
        return [p for p in self.pupils if p.action == action]

    @property
    def promoted(self):
        return self.of(PROMOTE)

    @property
    def repeating(self):
        return self.of(REPEAT)

    @property
    def graduating(self):
        return self.of(GRADUATES)

    @property
    def leaving(self):
        return self.of(LEAVE)

    @property
    def skipped(self):
        return self.of(SKIP)


@dataclass
class Intake:
    """A class of the new term: who comes in from where, against its capacity."""

    group: object
    incoming: int = 0
    already: int = 0  # places taken in the new term before the rollover (an existing session)

    @property
    def total(self):
        return self.incoming + self.already

    @property
    def over(self):
        return self.total > self.group.capacity

    @property
    def excess(self):
        return self.total - self.group.capacity


@dataclass
class Outcome:
    plan: Plan
    classes: list = field(default_factory=list)
    intake: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)  # {field: [messages]}: the plan's own fields
    problems: list = field(default_factory=list)  # what stops the confirm (over capacity, no target)
    existing_session: object = None  # the session named, when the school made it already
    existing_terms: list = field(default_factory=list)
    fingerprint: str = ""

    @property
    def ok(self):
        return not self.errors and not self.problems

    def count(self, action):
        return sum(len(c.of(action)) for c in self.classes)

    def totals(self):
        return {action: self.count(action) for action in (PROMOTE, REPEAT, GRADUATES, LEAVE, SKIP)}

    def summary(self):
        """What the Rollover row keeps: the counts, and per class where its pupils went."""
        return {
            "promoted": self.count(PROMOTE),
            "repeated": self.count(REPEAT),
            "graduated": self.count(GRADUATES),
            "left": self.count(LEAVE),
            "skipped": self.count(SKIP),
            "classes": [
                {
                    "class_group": row.group.name,
                    "to": "graduated" if row.graduate else (row.target.name if row.target else ""),
                    "promoted": len(row.promoted),
                    "repeated": len(row.repeating),
                    "graduated": len(row.graduating),
                    "left": len(row.leaving),
                    "skipped": len(row.skipped),
                }
                for row in self.classes
            ],
        }


def outcome_of(school, state, plan, roll, *, lock=False):
    """What `plan` would do to `roll` (from `load_roll`), without writing. `lock`: take the target
    classes' row locks before counting their places (the confirm does, the dry run does not)."""
    outcome = Outcome(plan=plan)
    _check_session(school, state, plan, outcome)
    groups = {group.pk: group for group in school.class_groups.all()}
    first_term = outcome.existing_terms[0] if outcome.existing_terms else None
    enrolled_next = set()
    if first_term is not None:
        enrolled_next = set(
            school.enrollments.filter(term=first_term, status=Enrollment.Status.ACTIVE).values_list(
                "student_id", flat=True
            )
        )
    on_roll = {e.student_id for _, enrollments in roll for e in enrollments}
    for student_id in sorted((set(plan.repeaters) | set(plan.leavers)) - on_roll):
        outcome.errors.setdefault(f"pupil.{student_id}", []).append(_("Not a pupil of the current term."))
    for student_id, reason in plan.leavers.items():
        if not (reason or "").strip() or len(reason) > MAX_REASON:
            message = _("Say in at most %(max)s characters why the pupil is leaving.") % {"max": MAX_REASON}
            outcome.errors.setdefault(f"pupil.{student_id}", []).append(message)
    intake = {}
    for group, enrollments in roll:
        row = _class_outcome(group, enrollments, plan, groups, enrolled_next, first_term)
        outcome.classes.append(row)
        for pupil in row.pupils:
            if pupil.target is not None:
                intake.setdefault(pupil.target.pk, Intake(group=pupil.target)).incoming += 1
    if lock:
        for pk in sorted(intake):
            intake[pk].group = lock_class_group(intake[pk].group)
    for entry in intake.values():
        if first_term is not None:
            entry.already = class_group_seats(class_group=entry.group, term=first_term)[0]
        if entry.over:
            outcome.problems.append(
                _(
                    "%(group)s would hold %(total)s pupils but has %(capacity)s places: "
                    "raise its capacity, or send some of them elsewhere."
                )
                % {"group": entry.group, "total": entry.total, "capacity": entry.group.capacity}
            )
    outcome.intake = sorted(intake.values(), key=lambda i: (level_key(i.group.level), i.group.name.lower()))
    for row in outcome.classes:
        outcome.problems.extend(row.problems)
    outcome.fingerprint = _fingerprint(outcome)
    return outcome


def _class_outcome(group, enrollments, plan, groups, enrolled_next, first_term):
    choice = plan.mapping.get(group.pk)
    row = ClassOutcome(group=group)
    if choice == GRADUATE:
        row.graduate = True
    elif choice is not None and choice in groups:
        row.target = groups[choice]
    for enrollment in enrollments:
        student = enrollment.student
        if student.status not in CARRIED:
            pupil = PupilOutcome(enrollment, SKIP, reason=f"{student.get_status_display()}: not carried")
        elif student.pk in enrolled_next:
            pupil = PupilOutcome(enrollment, SKIP, reason=f"already enrolled for {first_term}")
        elif student.pk in plan.leavers:
            pupil = PupilOutcome(enrollment, LEAVE, reason=plan.leavers[student.pk])
        elif student.pk in plan.repeaters:
            pupil = PupilOutcome(enrollment, REPEAT, target=group)
        elif row.graduate:
            pupil = PupilOutcome(enrollment, GRADUATES)
        else:
            pupil = PupilOutcome(enrollment, PROMOTE, target=row.target)
        row.pupils.append(pupil)
    if not row.graduate and row.target is None and row.promoted:
        row.problems.append(
            _("Choose where %(group)s's pupils go next: no class of the next level matches it.") % {"group": group}
        )
    return row


def _check_session(school, state, plan, outcome):
    errors = outcome.errors
    last = state.last_term
    existing = school.sessions.filter(name=plan.name).first() if plan.name else None
    if existing is not None:
        if existing.pk == state.session.pk:
            errors["name"] = [
                _("%(session)s is the session being rolled from: name the next one.") % {"session": existing}
            ]
            return
        terms = list(existing.terms.order_by("start_date", "id"))
        if existing.start_date <= last.end_date:
            errors["name"] = [
                _(
                    "%(existing)s exists already and starts before %(last)s of %(session)s ends: "
                    "choose another name, or change its dates first."
                )
                % {"existing": existing, "last": last.name, "session": state.session}
            ]
        elif not terms:
            errors["name"] = [
                _("%(existing)s exists already but has no terms: add its terms first, or choose another name.")
                % {"existing": existing}
            ]
        outcome.existing_session, outcome.existing_terms = existing, terms
        return
    if not plan.name:
        errors["name"] = [_("Name the new session (for example 2027/2028).")]
    if plan.end_date <= plan.start_date:
        errors["end_date"] = [_("The end date must be after the start date.")]
    if last is not None and plan.start_date <= last.end_date:
        errors["start_date"] = [
            _("The new session must start after %(last)s of %(session)s ends (%(date)s).")
            % {"last": last.name, "session": state.session, "date": f"{last.end_date:%d %B %Y}"}
        ]
    if not plan.terms:
        errors["terms"] = [_("Give the new session at least one term.")]
    seen = set()
    previous_end = None
    for index, term in enumerate(plan.terms):
        key = f"terms.{index}"
        if term.name.lower() in seen:
            errors[f"{key}.name"] = [_("Another term of the new session has this name.")]
        seen.add(term.name.lower())
        if term.end_date <= term.start_date:
            errors[f"{key}.end_date"] = [_("The end date must be after the start date.")]
        elif term.start_date < plan.start_date or term.end_date > plan.end_date:
            errors[f"{key}.start_date"] = [_("The term must fall within the session's dates.")]
        elif previous_end is not None and term.start_date <= previous_end:
            errors[f"{key}.start_date"] = [_("The term must start after the term above it ends.")]
        previous_end = term.end_date


def _fingerprint(outcome):
    """A short digest of everything the confirm would do: a confirm whose dry run differs (a pupil
    joined or left a class since, or the form was edited without a new dry run) is refused."""
    plan = outcome.plan
    session = (
        {"existing": outcome.existing_session.pk}
        if outcome.existing_session
        else plan.as_json()["session"] | {"terms": plan.as_json()["terms"]}
    )
    moves = [
        [p.enrollment.pk, p.student.pk, p.action, p.target.pk if p.target else None, p.reason]
        for row in outcome.classes
        for p in row.pupils
    ]
    text = json.dumps({"session": session, "moves": sorted(moves, key=lambda m: m[0])}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
