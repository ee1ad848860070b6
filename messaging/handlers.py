"""Outbox consumers of messaging. Idempotent: a message per (request, guardian, channel) is unique,
seeding creates only the templates that are missing, and a withdrawal is one row per request."""

from classpoint.outbox import handles

from . import pipeline


@handles("messaging.requested", batch=True)
def handle_message_requests(events):
    pipeline.handle_requests(events)


@handles("school.provisioned")
def seed_templates(event):
    from .defaults import seed_every_language

    seed_every_language(event.school)


@handles("announcement.published")
def fan_out_announcement(event):
    from .announcements import fan_out

    fan_out(event)


@handles("messaging.withdrawn")
def withdraw_request(event):
    from .withdrawals import withdraw

    withdraw(school=event.school, event=event)
