"""Teachers are reminded of the registers they have not taken, once a day, at the school's time."""

import datetime

import pytest
from django.core import mail

from academics.attendance import codes, registers, reminders
from classpoint.models import OutboxEvent
from classpoint.outbox.worker import drain
from schools.tests import factories as f

from .factories import open_every_day, staff


@pytest.fixture
def world(school):
    today = school.local_today()
    term = open_every_day(school, days_back=10)
    policy = codes.policy_for(school)
    policy.reminder_at = datetime.time(10, 0)
    policy.save()
    first = school.class_groups.order_by("id").first()
    second = f.ClassGroupFactory(school=school, name="JSS 1B")
    f.enroll(f.StudentFactory(school=school), term, second)
    ngozi = staff(school, first_name="Ngozi", last_name="Eze")
    ngozi.email = "ngozi@greenfield.test"
    ngozi.save()
    first.form_teacher = second.form_teacher = ngozi
    first.save()
    second.save()
    return today, first, second, ngozi


def at(school, today, clock):
    return datetime.datetime.combine(today, datetime.time.fromisoformat(clock), tzinfo=school.tzinfo)


def test_one_email_per_teacher_per_day_after_the_schools_time_listing_what_is_missing(school, world):
    today, first, second, ngozi = world
    assert reminders.register_reminders_due(now=at(school, today, "09:45")) == 0
    registers.register_submit(school=school, class_group=first, date=today, marks=[], actor=None)
    assert reminders.register_reminders_due(now=at(school, today, "10:00")) == 1
    reminders.register_reminders_due(now=at(school, today, "10:15"))
    assert OutboxEvent.objects.filter(event_type=reminders.EVENT).count() == 1
    drain()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ngozi@greenfield.test"] and "1 register not yet taken" in message.subject
    assert "JSS 1B: daily register" in message.body and first.name not in message.body
    assert "/s/greenfield/attendance/" in message.body


def test_a_register_taken_before_the_email_goes_out_stops_it(school, world):
    today, first, second, ngozi = world
    reminders.register_reminders_due(now=at(school, today, "10:05"))
    for group in (first, second):
        registers.register_submit(school=school, class_group=group, date=today, marks=[], actor=None)
    drain()
    assert mail.outbox == []


def test_closed_days_remind_no_one(school, world):
    today, *_ = world
    policy = codes.policy_for(school)
    policy.school_days = [d for d in range(1, 8) if d != today.isoweekday()]
    policy.save()
    assert reminders.register_reminders_due(now=at(school, today, "11:00")) == 0
