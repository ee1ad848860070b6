"""Reminding teachers of the registers they have not taken: at the school's `reminder_at` (school
time, school days only), each teacher with a register still missing today is emailed once, with the
list and a link to take them. The schedule asks (an event per teacher and day, de-duplicated by its
key); the handler re-reads the day before it writes, so a register taken in between is not nagged
about, and a teacher with none left gets no email."""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from classpoint.outbox import emit
from classpoint.scoping import for_school, unscoped
from schools.models import School

from .codes import policy_for
from .selectors import missing_on

log = logging.getLogger(__name__)
EVENT = "attendance.registers.reminder"


def register_reminders_due(now=None):
    """Every 15 minutes: for each active school past its reminder time today, one reminder event per
    teacher with a register still missing. Returns the number of reminders asked for now."""
    now = now or timezone.now()
    with unscoped(reason="the register reminders serve every active school"):
        schools = list(School.objects.filter(status=School.Status.ACTIVE).order_by("slug"))
    asked = 0
    for school in schools:
        local = now.astimezone(school.tzinfo)
        try:
            with for_school(school):
                asked += _remind(school=school, date=local.date(), at=local.time())
        except Exception:  # noqa: BLE001 - one school's failure must not keep the others' teachers unreminded
            log.exception("register reminders failed for %s", school.slug)
    return asked


def _remind(*, school, date, at):
    policy = policy_for(school)
    if at < policy.reminder_at or date.isoweekday() not in policy.school_days:
        return 0
    teachers = sorted({s.teacher.pk for s in missing_on(school=school, date=date) if s.teacher is not None})
    for staff_id in teachers:
        emit(
            school=school,
            event_type=EVENT,
            payload={"staff_id": staff_id, "date": date.isoformat()},
            dedupe_key=f"register-reminder:{date.isoformat()}:{staff_id}",
        )
    return len(teachers)


def reminder_send(*, school, payload):
    """Email the teacher the registers still missing that day (none left: no email). The outbox
    handler (academics/handlers.py) calls it."""
    date = datetime.date.fromisoformat(payload["date"])
    staff = school.staff.filter(pk=payload["staff_id"]).select_related("user").first()
    if staff is None:
        return
    labels = [
        s.label for s in missing_on(school=school, date=date) if s.teacher is not None and s.teacher.pk == staff.pk
    ]
    address = staff.email or (staff.user.email if staff.user else "")
    if not labels or not address:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("attendance-today", args=[school.slug])
    lines = "\n".join(f"- {label}" for label in labels)
    send_mail(
        subject=f"{school.name}: {len(labels)} register{'s' if len(labels) != 1 else ''} not yet taken today",
        message=(
            f"Dear {staff.first_name},\n\nThese registers for {date:%A} {date.day} {date:%B} are not yet taken:\n"
            f"{lines}\n\nTake them here: {link}\n\n{school.name}"
        ),
        from_email=None,
        recipient_list=[address],
    )
