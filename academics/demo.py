"""The timetable's part of the demo: a JSS 1 week for each arm of the demo school, and two afternoon
clubs of the first arm, French with two seats (the third applicant placed in it is told it is full)
and Robotics. Once only: a term that already has slots is left as it is."""

import datetime

from classpoint.demo import seeds_demo

from .models import ScheduleSlot
from .services import slot_create

LESSONS = [("Mathematics", 8, 9), ("English Studies", 9, 10), ("Basic Science", 10, 11), ("Social Studies", 11, 12)]


@seeds_demo
def seed_timetable(context):
    school = context.school
    term = school.current_term()
    if term is None:
        return
    groups = list(school.class_groups.filter(level="JSS 1").order_by("name"))
    if not groups or ScheduleSlot.objects.for_school(school).filter(term=term).exists():
        return
    actor = context.staff["registrar"]
    teachers = list(school.staff.order_by("id"))
    t = datetime.time
    for g_index, group in enumerate(groups):
        for weekday in range(1, 6):
            for l_index, (subject, start, end) in enumerate(LESSONS):
                teacher = teachers[(g_index * 2 + l_index + weekday) % len(teachers)] if teachers else None
                # Rotate so no teacher is in two rooms at once: arm A's and arm B's teachers differ per hour.
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
