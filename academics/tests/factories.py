"""Timetable test data: teachers, slots written straight to the table (set-up, not the behaviour under
test) and applications ready to place."""

import datetime
import itertools

from academics.models import ScheduleSlot
from registrar.models import Application
from schools.models import StaffProfile, Term

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
