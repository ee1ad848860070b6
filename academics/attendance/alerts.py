"""Same-day absence alerts: what academics asks messaging to tell a pupil's guardians when the
register says the pupil is not in school, and taking it back when a correction says they were.

registers.alerts_for_day emits `attendance.absence.recorded` / `attendance.absence.withdrawn`
once per pupil and day; these run as their handlers (academics/handlers.py), in the event's
school, so a payload naming another school's pupil finds no pupil and alerts no one. Both look at
the day as it is when they run, not as it was when the event was written: a pupil corrected to
present before the alert was asked for is never alerted about. The message itself (consent, quiet
hours, channel, wording) is messaging's; the context carries plain values only (the day typed, for
messaging to write in the guardian's language).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext, ngettext

from classpoint.messages import TemplateType, request_message, withdraw_message
from schools.models import SchoolProfile, Student, StudentGuardian

from ..models import AbsenceCode, AttendanceMark
from .registers import alerting_marks

WITHDRAWN_REASON = "marked present after all"


def message_key(student_id, date):
    """The dedupe key of a pupil's alert on `date`: one message request per pupil and day."""
    return f"absence-alert:{student_id}:{date.isoformat()}"


def _day(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _pupil(school, student_id):
    if not isinstance(student_id, int):
        return None
    return Student.objects.for_school(school).filter(pk=student_id).first()


def date_words(date):
    """The day, typed: messaging writes it in each guardian's language (Saturday 5 December,
    sábado 5 de diciembre)."""
    return {"date": date.isoformat(), "format": "WEEKDAY_MONTH_DAY"}


def _absence_phrase(mark):
    subject = str(mark.slot.subject) if mark.slot_id else ""
    if mark.kind == AbsenceCode.Kind.LATE:
        minutes = mark.minutes_late or 0
        if subject:
            return ngettext(
                "arrived %(minutes)d minute late for %(subject)s",
                "arrived %(minutes)d minutes late for %(subject)s",
                minutes,
            ) % {"minutes": minutes, "subject": subject}
        return ngettext("arrived %(minutes)d minute late", "arrived %(minutes)d minutes late", minutes) % {
            "minutes": minutes
        }
    if subject:
        return gettext("was absent from %(subject)s today") % {"subject": subject}
    return gettext("was absent from school today")


def absence_words(mark):
    """What the mark says happened, to follow the pupil's name, in each language the product ships
    (one request goes to every guardian, and each reads it in their own language: messaging picks)."""
    phrases = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            phrases[code] = _absence_phrase(mark)
    return {"text": phrases}


def _common_context(*, school, student, date, class_name):
    profile = SchoolProfile.objects.filter(school=school).first()
    return {
        "school_name": school.name,
        "student_name": f"{student.first_name} {student.last_name}".strip(),
        "class_name": class_name,
        "date": date_words(date),
        "school_phone": profile.phone if profile is not None else "",
    }


def alert_context(*, school, student, mark):
    slot = mark.slot
    return {
        **_common_context(school=school, student=student, date=mark.date, class_name=mark.register.class_group.name),
        "absence": absence_words(mark),
        "lesson": f"{slot.subject}, {slot.start_time:%H:%M}" if slot is not None else "",
    }


@transaction.atomic
def alert_request(*, school, student_id, date):
    """Ask messaging for ABSENCE_ALERT to the pupil's guardians if their day (`date`, an ISO date)
    still warrants it. Once per pupil and day. Returns the request event, or None."""
    student, day = _pupil(school, student_id), _day(date)
    if student is None or day is None or day != school.local_today():
        # A same-day alert: an event handled after its day (the outbox was down) alarms no one.
        return None
    mark = alerting_marks(school=school, date=day, student_ids=[student.pk]).get(student.pk)
    if mark is None:  # corrected before the alert was asked for
        return None
    guardian_ids = list(
        StudentGuardian.objects.for_school(school).filter(student=student).values_list("guardian_id", flat=True)
    )
    if not guardian_ids:
        return None
    return request_message(
        school=school,
        template=TemplateType.ABSENCE_ALERT,
        guardian_ids=guardian_ids,
        student_id=student.pk,
        context=alert_context(school=school, student=student, mark=mark),
        dedupe_key=message_key(student.pk, day),
        reason="attendance.absence.recorded",
    )


@transaction.atomic
def alert_withdraw(*, school, student_id, date):
    """Take the pupil's alert of `date` back: messaging suppresses what it has not sent and tells the
    guardians it did send that the pupil was marked present after all. Nothing if the day warrants
    the alert again by now (marked absent once more). Returns the withdrawal event, or None."""
    student, day = _pupil(school, student_id), _day(date)
    if student is None or day is None:
        return None
    if alerting_marks(school=school, date=day, student_ids=[student.pk]):
        return None
    mark = (
        AttendanceMark.objects.for_school(school)
        .filter(student=student, date=day)
        .select_related("register__class_group")
        .order_by(F("slot_id").asc(nulls_first=True), "id")  # the daily register's mark first
        .first()
    )
    class_name = mark.register.class_group.name if mark is not None else ""
    return withdraw_message(
        school=school,
        dedupe_key=message_key(student.pk, day),
        follow_up_template=TemplateType.ABSENCE_WITHDRAWN,
        follow_up_context=_common_context(school=school, student=student, date=day, class_name=class_name),
        reason=WITHDRAWN_REASON,
    )
