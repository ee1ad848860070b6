"""Academics' part of the demo.

The timetable: a JSS 1 week for each arm of the demo school (each arm's form teacher teaches it
Mathematics every morning, so the demo's teacher login has real lessons), and two afternoon clubs of
the first arm, French with two seats (the third applicant placed in it is told it is full) and
Robotics. Once only: a term that already has slots is left as it is.

Attendance: the school opens Monday to Saturday, and the JSS 1 daily registers of the last ten school
days are taken, with a few absences, late arrivals and excuses (one pupil absent without excuse on
three of those days or more: a truancy letter's worth), while today's wait for their teachers. A
register already there is left as it is."""

import datetime
import random

from django.utils import timezone

from classpoint.demo import seeds_demo

from .attendance.codes import policy_for
from .attendance.registers import pupils_on, register_find, register_submit, term_on
from .models import ScheduleSlot
from .models.attendance import weekdays_monday_to_friday
from .results.demo import seed_results
from .services import slot_create

LESSONS = [("Mathematics", 8, 9), ("English Studies", 9, 10), ("Basic Science", 10, 11), ("Social Studies", 11, 12)]
# Many Nigerian secondary schools hold lessons on Saturday mornings too (extra lessons, prep for
# exams), so the demo school opens six days a week: a demo run on a Saturday has registers to take.
SCHOOL_DAYS = [1, 2, 3, 4, 5, 6]
PAST_SCHOOL_DAYS = 10
EXCUSES = [("E-ILL", "Malaria, mother phoned"), ("E-MED", "Dental appointment"), ("E-FAM", "Family wedding"), ("E", "")]


@seeds_demo
def seed_academics(context):
    # One seeder for the app, as every app has: the timetable first, the registers of its classes
    # after, then results (whose teachers come from the timetable).
    seed_timetable(context)
    seed_attendance(context)
    seed_results(context)


def seed_timetable(context):
    school = context.school
    term = school.current_term()
    if term is None:
        return
    groups = list(school.class_groups.filter(level="JSS 1").order_by("name"))
    if not groups or ScheduleSlot.objects.for_school(school).filter(term=term).exists():
        return
    actor = context.staff["registrar"]
    form_teachers = {group.form_teacher_id for group in groups}
    teachers = [staff for staff in school.staff.order_by("id") if staff.pk not in form_teachers]
    teachers = teachers or list(school.staff.order_by("id"))
    t = datetime.time
    for g_index, group in enumerate(groups):
        for weekday in range(1, 6):
            for l_index, (subject, start, end) in enumerate(LESSONS):
                if l_index == 0 and group.form_teacher is not None:
                    teacher = group.form_teacher
                else:
                    # Rotate so no teacher is in two rooms at once: the arms' teachers differ each hour.
                    teacher = teachers[(g_index * 3 + l_index + weekday) % len(teachers)] if teachers else None
                slot_create(
                    school=school,
                    actor=actor,
                    term=term,
                    class_group=group,
                    subject=subject,
                    weekday=weekday,
                    start_time=t(start),
                    end_time=t(end),
                    teacher=teacher,
                    room=f"{group.name} room",
                )
    first = groups[0]
    slot_create(
        school=school,
        actor=actor,
        term=term,
        class_group=first,
        subject="French club",
        weekday=3,
        start_time=t(14),
        end_time=t(15),
        room="Language lab",
        capacity=2,
    )
    slot_create(
        school=school,
        actor=actor,
        term=term,
        class_group=first,
        subject="Robotics club",
        weekday=4,
        start_time=t(14),
        end_time=t(15, 30),
        room="Science lab",
        capacity=12,
    )


def seed_attendance(context):
    school = context.school
    policy = policy_for(school)
    if policy.school_days == weekdays_monday_to_friday():  # a school that set its own days keeps them
        policy.school_days = SCHOOL_DAYS
        policy.save(update_fields=["school_days", "updated_at"])
    today = school.local_today()
    days, day = [], today - datetime.timedelta(days=1)
    while len(days) < PAST_SCHOOL_DAYS and day > today - datetime.timedelta(days=5 * PAST_SCHOOL_DAYS):
        if day.isoweekday() in policy.school_days and term_on(school=school, date=day) is not None:
            days.append(day)
        day -= datetime.timedelta(days=1)
    taken = 0
    for g_index, group in enumerate(school.class_groups.filter(level="JSS 1").select_related("form_teacher__user")):
        for d_index, day in enumerate(sorted(days)):
            if register_find(school=school, class_group=group, date=day) is None:
                _take_register(school, group, day, truant=g_index == 0 and d_index in (2, 5, 8))
                taken += 1
    if taken:
        context.say(
            f"Attendance: {taken} past JSS 1 registers taken (Monday to Saturday); today's wait for "
            "teacher@greenfield.demo and the other form teachers."
        )


def _take_register(school, group, day, *, truant):
    """One past day's register of `group`: a few pupils absent, late or excused, chosen by a
    generator seeded with the class and day, so every run takes the same register. With `truant`, the
    class's third pupil is absent without excuse (on three days: a truancy letter's worth)."""
    term = term_on(school=school, date=day)
    pupils = pupils_on(school=school, class_group=group, term=term, date=day)
    if not pupils:
        return
    rng = random.Random(f"{school.slug}-register-{group.name}-{day.isoformat()}")
    marks = {}
    if truant and len(pupils) > 2:
        marks[pupils[2].pk] = {"student_id": pupils[2].pk, "code": "A"}
    others = [pupil for pupil in pupils if pupil.pk not in marks]
    chosen = rng.sample(others, min(len(others), 6))
    for pupil in chosen[: rng.choice([0, 1, 1, 2])]:
        marks[pupil.pk] = {"student_id": pupil.pk, "code": "A"}
    for pupil in chosen[2 : 2 + rng.choice([0, 1, 1, 2])]:
        marks[pupil.pk] = {"student_id": pupil.pk, "code": "L", "minutes_late": rng.choice([5, 10, 15, 20, 25, 40])}
    for pupil in chosen[4 : 4 + rng.choice([0, 0, 1, 1, 2])]:
        code, note = rng.choice(EXCUSES)
        marks[pupil.pk] = {"student_id": pupil.pk, "code": code, "note": note}
    teacher = group.form_teacher
    # Taken at the start of that day, as a form teacher would, not at the moment the demo ran.
    taken_at = datetime.datetime.combine(day, datetime.time(7, 40 + rng.randrange(0, 20)))
    register_submit(
        school=school,
        class_group=group,
        date=day,
        marks=list(marks.values()),
        actor=teacher.user if teacher is not None else None,
        teacher=teacher,
        now=timezone.make_aware(taken_at, school.tzinfo),
    )
