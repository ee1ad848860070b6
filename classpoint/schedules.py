"""The django-q2 schedule, kept in code and written after every migrate (idempotent).

The kernel's own jobs are listed here; each app may add `<app>/schedules.py` with a SCHEDULES list
of (name, dotted function, minutes), so the kernel never imports a domain app by name.
"""

from .discovery import app_modules

SCHEDULES = [
    # (name, func, minutes)
    ("outbox-drain", "classpoint.outbox.tasks.drain_outbox", 1),
    ("outbox-reset-stuck", "classpoint.outbox.tasks.reset_stuck_claims", 15),
]


def all_schedules():
    found = list(SCHEDULES)
    for module in app_modules("schedules"):
        found += list(module.SCHEDULES)
    return found


def ensure_schedules(**kwargs):
    from django_q.models import Schedule

    for name, func, minutes in all_schedules():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
