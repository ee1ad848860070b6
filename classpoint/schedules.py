"""The django-q2 schedule, kept in code and written after every migrate (idempotent).

The kernel's own jobs are listed here; each app may add `<app>/schedules.py` with a SCHEDULES list
of (name, dotted function, minutes), so the kernel never imports a domain app by name.
"""

import importlib

from django.apps import apps

SCHEDULES = [
    # (name, func, minutes)
    ("outbox-drain", "classpoint.outbox.tasks.drain_outbox", 1),
    ("outbox-reset-stuck", "classpoint.outbox.tasks.reset_stuck_claims", 15),
]


def all_schedules():
    found = list(SCHEDULES)
    for config in apps.get_app_configs():
        if config.name == "classpoint":
            continue
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        found += list(module.SCHEDULES)
    return found


def ensure_schedules(**kwargs):
    from django_q.models import Schedule

    for name, func, minutes in all_schedules():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
