"""Outbox consumers of academics: the same-day absence alert, asked for and taken back
(attendance/alerts.py), and the teachers' register reminders (attendance/reminders.py). Idempotent:
one message request and one withdrawal per pupil and day, one reminder per teacher and day, by their
dedupe keys."""

from classpoint.outbox import handles

from .attendance import alerts, reminders


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
