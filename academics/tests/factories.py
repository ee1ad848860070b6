"""Timetable and attendance test data: teachers, slots written straight to the table (set-up, not the
behaviour under test), applications ready to place, a school open around today, registers taken
and the truancy letters they bring."""

import datetime
import itertools

from academics.attendance import codes, registers
from academics.interventions import scan
from academics.models import Intervention, ScheduleSlot
from registrar.models import Application
from schools.models import Enrollment, StaffProfile, Term
from schools.tests import factories as f

_references = itertools.count(1)


def t(text):
    return datetime.time.fromisoformat(text)


def staff(school, first_name="Ada", last_name="Obi", is_teacher=True):
    return StaffProfile.objects.create(school=school, first_name=first_name, last_name=last_name, is_teacher=is_teacher)


def slot(
    school,
    *,
    class_group=None,
    term=None,
    subject="Mathematics",
    weekday=1,
    start="09:00",
    end="10:00",
    teacher=None,
    room="",
    capacity=None,
):
    return ScheduleSlot.objects.create(
        school=school,
        term=term or school.current_term(),
        class_group=class_group or school.class_groups.order_by("id").first(),
        subject=subject,
        teacher=teacher,
        weekday=weekday,
        start_time=t(start),
        end_time=t(end),
        room=room,
        capacity=capacity,
    )


def application(school, *, status=Application.Status.IN_REVIEW, term=None, first_name="Tunde", **extra):
    return Application.objects.create(
        school=school,
        reference=f"APP-{next(_references):06d}",
        status=status,
        first_name=first_name,
        last_name="Bello",
        date_of_birth=datetime.date(2014, 3, 2),
        gender="male",
        class_level="JSS 1",
        term=term,
        **extra,
    )


def next_term(school):
    current = school.current_term()
    return Term.objects.create(
        school=school,
        session=current.session,
        name="Second term",
        is_current=False,
        start_date=datetime.date(2027, 1, 4),
        end_date=datetime.date(2027, 4, 9),
    )


def open_every_day(school, *, days_back=40, days_ahead=60, year=None):
    """The school's current term stretched from `days_back` days before today to `days_ahead` after,
    whatever day the suite runs (the shared term's dates are fixed), and the school open all seven
    days, so today and the days around it have registers. `year`, (days back, days ahead), moves the
    school year too, for what counts over the year (the truancy scan, recovery's yearly cap)."""
    today = school.local_today()
    term = school.current_term()
    term.start_date = today - datetime.timedelta(days=days_back)
    term.end_date = today + datetime.timedelta(days=days_ahead)
    term.save()
    if year:
        session = term.session
        session.start_date = today - datetime.timedelta(days=year[0])
        session.end_date = today + datetime.timedelta(days=year[1])
        session.save()
    policy = codes.policy_for(school)
    policy.school_days = [1, 2, 3, 4, 5, 6, 7]
    policy.save()
    return term


def enrol_pupils(school, term, group, names=("Adeyemi", "Bello", "Chukwu"), guardians=False, **fields):
    """The class's own pupil and one more per surname enrolled this term, each with a guardian if asked."""
    first = Enrollment.objects.get(school=school, class_group=group).student
    more = [f.StudentFactory(school=school, last_name=name, **fields) for name in names]
    for student in more:
        f.enroll(student, term, group)
        if guardians:
            f.link(student, f.GuardianFactory(school=school))
    return [first, *more]


def submit(school, group, marks, actor=None, date=None, **extra):
    """The class's daily register taken (today unless `date` says otherwise)."""
    return registers.register_submit(
        school=school, class_group=group, date=date or school.local_today(), marks=marks, actor=actor, **extra
    )


def absent(school, group, pupil, days_ago, code="A", **extra):
    """The pupil marked `code` on the class's register `days_ago` days back, entered late; returns the day."""
    date = school.local_today() - datetime.timedelta(days=days_ago)
    submit(school, group, [{"student_id": pupil.pk, "code": code, **extra}], date=date, reason="late entry")
    return date


def truant(school, group, pupil, days=(5, 4, 3)):
    """The pupil's unexcused days and the letter 1 the scan drafts for them."""
    dates = [absent(school, group, pupil, back) for back in days]
    scan.interventions_scan(school=school)
    return dates, Intervention.objects.get(school=school, student=pupil, kind=Intervention.Kind.LETTER_1)
