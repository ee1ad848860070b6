"""Outbox consumers of academics: the same-day absence alert, asked for and taken back
(attendance/alerts.py), the teachers' register reminders (attendance/reminders.py), and the notices
of published results to guardians (results/notices.py). Idempotent: one message request and one
withdrawal per pupil and day, one reminder per teacher and day, one results notice per guardian,
pupil, term (and revision), by their dedupe keys."""

from classpoint.outbox import handles

from .attendance import alerts, reminders
from .results import notices


@handles("attendance.absence.recorded")
def alert_guardians(event):
    payload = event.payload or {}
    alerts.alert_request(school=event.school, student_id=payload.get("student_id"), date=payload.get("date"))


@handles("attendance.absence.withdrawn")
def withdraw_alert(event):
    payload = event.payload or {}
    alerts.alert_withdraw(school=event.school, student_id=payload.get("student_id"), date=payload.get("date"))


@handles(reminders.EVENT)
def remind_teacher(event):
    reminders.reminder_send(school=event.school, payload=event.payload or {})


@handles("result.ready")
def results_ready(event):
    notices.ready_request(school=event.school, payload=event.payload or {})


@handles("result.updated")
def results_updated(event):
    notices.updated_request(school=event.school, payload=event.payload or {})


@handles("result.withheld")
def results_withheld(event):
    notices.withheld_request(school=event.school, payload=event.payload or {})
