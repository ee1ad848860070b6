"""The django-q2 schedule, kept in code and written after every migrate (idempotent)."""

SCHEDULES = [
    # (name, func, minutes)
    ("outbox-drain", "classpoint.outbox.tasks.drain_outbox", 1),
    ("outbox-reset-stuck", "classpoint.outbox.tasks.reset_stuck_claims", 15),
]


def ensure_schedules(**kwargs):
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
