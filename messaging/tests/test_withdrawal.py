"""Taking a request back (`messaging.withdrawn`): what was not sent never is, whoever already had it
hears the follow-up once, and a request handled after its withdrawal sends nothing."""

import datetime
import importlib
import time
import zoneinfo

import pytest
from django.db import transaction
from django.utils import timezone

from classpoint.messages import request_message, withdraw_message
from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from classpoint.testing import run_concurrently
from messaging import pipeline, tasks, withdrawals
from messaging.defaults import DEFAULTS
from messaging.models import Channel, Message, MessageTemplate, MessageWithdrawal, TemplateType
from messaging.status import advance
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

LAGOS = zoneinfo.ZoneInfo("Africa/Lagos")
KEY = "absence-alert:1:2026-12-05"
ALERT = {
    "student_name": "Ada Obi",
    "class_name": "JSS 1A",
    "date": "Saturday 5 December",
    "absence": "was absent from school today",
}
FOLLOW_UP = {"student_name": "Ada Obi", "class_name": "JSS 1A", "date": "Saturday 5 December"}
REASON = "withdrawn: marked present after all"


def lagos(hour, day=5):
    return datetime.datetime(2026, 12, day, hour, 0, tzinfo=LAGOS)


@pytest.fixture
def at(monkeypatch):
    def set_clock(moment):
        monkeypatch.setattr(pipeline, "_now", lambda: moment)

    set_clock(lagos(12))
    return set_clock


@pytest.fixture
def guardians(school):
    """The pupil's two guardians: one on SMS, one on WhatsApp."""
    first = school.guardians.get()
    first.consent_sms = True
    first.save()
    second = f.GuardianFactory(school=school, preferred_channel="whatsapp", consent_whatsapp=True)
    f.link(school.students.get(), second, primary=False)
    return [first, second]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def drain(send=True):
        with django_capture_on_commit_callbacks(execute=send):
            worker.drain()
        failed = list(OutboxEvent.objects.exclude(last_error="").values_list("event_type", "last_error"))
        assert not failed, failed

    return drain


def ask(school, key=KEY):
    return request_message(
        school=school,
        template="ABSENCE_ALERT",
        guardian_ids=[],
        student_id=school.students.get().pk,
        context=ALERT,
        dedupe_key=key,
    )


def take_back(school, key=KEY, follow_up="ABSENCE_WITHDRAWN", reason="marked present after all"):
    return withdraw_message(
        school=school, dedupe_key=key, follow_up_template=follow_up, follow_up_context=FOLLOW_UP, reason=reason
    )


def of_type(school, template):
    return Message.objects.for_school(school).filter(template_type=template).order_by("guardian_id")


def test_messages_not_yet_sent_are_suppressed_and_nobody_is_told(school, guardians, at, run):
    ask(school)
    run(send=False)
    assert set(of_type(school, "ABSENCE_ALERT").values_list("status", flat=True)) == {"queued"}
    # when the request is taken back before its send task runs
    take_back(school)
    run()
    # then both are suppressed with the reason, the late send task sends nothing, and no follow-up goes
    alerts = list(of_type(school, "ABSENCE_ALERT"))
    assert [(m.status, m.status_reason) for m in alerts] == [("suppressed", REASON)] * 2
    assert list(alerts[0].history.values_list("status", "note")) == [("queued", ""), ("suppressed", REASON)]
    assert tasks.send_messages([m.pk for m in alerts]) == {m.pk: "suppressed" for m in alerts}
    assert not of_type(school, "ABSENCE_WITHDRAWN").exists()


def test_messages_held_for_quiet_hours_are_never_released(school, guardians, at, run):
    at(lagos(22))
    ask(school)
    run()
    assert set(of_type(school, "ABSENCE_ALERT").values_list("status", flat=True)) == {"deferred"}
    take_back(school)
    run()
    assert pipeline.release_deferred(now=lagos(7, day=6)) == 0
    assert set(of_type(school, "ABSENCE_ALERT").values_list("status", flat=True)) == {"suppressed"}
    assert not of_type(school, "ABSENCE_WITHDRAWN").exists()


def test_guardians_who_had_it_get_one_follow_up_on_the_same_channel(school, guardians, at, run):
    ask(school)
    run()
    assert set(of_type(school, "ABSENCE_ALERT").values_list("status", flat=True)) == {"delivered"}
    # when it is taken back, and the withdrawal is delivered twice
    event = take_back(school)
    run()
    OutboxEvent.objects.filter(pk=event.pk).update(processed_at=None, claimed_at=None, claimed_by="")
    run()
    assert withdrawals.withdraw(school=school, event=OutboxEvent.objects.get(pk=event.pk)) == []
    # then each guardian has one follow-up, on the channel the alert went by; the alerts stand
    follow_ups = list(of_type(school, "ABSENCE_WITHDRAWN"))
    assert [(m.guardian, m.channel, m.status) for m in follow_ups] == [
        (guardians[0], "sms", "delivered"),
        (guardians[1], "whatsapp", "delivered"),
    ]
    assert follow_ups[0].body == (
        "Greenfield Academy: Update: Ada Obi was marked present after all on Saturday 5 December. Sorry for the worry."
    )
    assert follow_ups[0].student == school.students.get()
    assert set(of_type(school, "ABSENCE_ALERT").values_list("status", flat=True)) == {"delivered"}
    assert MessageWithdrawal.objects.for_school(school).get().request_key == f"msg:{KEY}"


def test_only_the_guardians_whose_message_went_out_hear_again(school, guardians, at, run):
    third = f.GuardianFactory(school=school, consent_sms=True)
    f.link(school.students.get(), third, primary=False)
    ask(school)
    run(send=False)
    sent, waiting, failed = of_type(school, "ABSENCE_ALERT")
    for status in ("sending", "sent"):
        advance(sent, status)
    advance(failed, "sending")
    advance(failed, "failed")
    take_back(school)
    run(send=False)
    assert [m.status for m in of_type(school, "ABSENCE_ALERT")] == ["sent", "suppressed", "failed"]
    assert list(of_type(school, "ABSENCE_WITHDRAWN").values_list("guardian_id", "status")) == [
        (sent.guardian_id, "queued")
    ]


def test_a_request_handled_after_its_withdrawal_sends_nothing(school, guardians, at, run):
    # given a request whose first try failed, its retry waiting
    request = ask(school)
    OutboxEvent.objects.filter(pk=request.pk).update(available_at=timezone.now() + datetime.timedelta(hours=1))
    # when the withdrawal is handled first
    take_back(school)
    run()
    assert not Message.objects.for_school(school).exists()
    # then the retried request's messages are suppressed as they are made, and none is sent
    OutboxEvent.objects.filter(pk=request.pk).update(available_at=timezone.now())
    run()
    alerts = list(of_type(school, "ABSENCE_ALERT"))
    assert [(m.status, m.status_reason) for m in alerts] == [("suppressed", REASON)] * 2
    assert not of_type(school, "ABSENCE_WITHDRAWN").exists()


def test_the_follow_up_keeps_to_consent_and_quiet_hours(school, guardians, at, run):
    ask(school)
    run()
    # the SMS guardian withdrew consent since; the withdrawal comes at night
    guardians[0].consent_sms = False
    guardians[0].save()
    at(lagos(22))
    take_back(school)
    run()
    refused, held = of_type(school, "ABSENCE_WITHDRAWN")
    assert refused.status == "suppressed" and "no consent for SMS" in refused.status_reason
    assert (held.channel, held.status, held.send_after) == ("whatsapp", "deferred", lagos(7, day=6))


def test_without_a_follow_up_the_sent_messages_stand_alone(school, guardians, at, run):
    ask(school)
    run()
    take_back(school, follow_up=None, reason="")
    run()
    assert Message.objects.for_school(school).count() == 2
    assert MessageWithdrawal.objects.for_school(school).get().reason == "withdrawn by the school before it was sent"


def test_a_withdrawal_touches_only_its_own_schools_request(school, other_school, at, run):
    guardian = other_school.guardians.get()
    guardian.consent_sms = True
    guardian.save()
    ask(other_school)
    run(send=False)
    # when Greenfield withdraws a request with the same key
    take_back(school)
    run(send=False)
    # then Riverside's message is untouched
    assert Message.objects.for_school(other_school).get().status == "queued"
    assert not MessageWithdrawal.objects.for_school(other_school).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_waits_for_a_request_being_handled_and_then_suppresses_it(school, guardians, at, monkeypatch):
    ask(school)
    request = OutboxEvent.objects.get(event_type="messaging.requested")
    withdrawal = take_back(school)
    # The request's handler has read "not withdrawn" and is slow to finish.
    read_quiet_hours = pipeline.quiet_hours_end

    def slow_quiet_hours(**kwargs):
        time.sleep(0.5)
        return read_quiet_hours(**kwargs)

    monkeypatch.setattr(pipeline, "quiet_hours_end", slow_quiet_hours)

    def work(which):
        if which == "request":
            with transaction.atomic():
                pipeline.handle_requests([OutboxEvent.objects.select_related("school").get(pk=request.pk)])
        else:
            time.sleep(0.1)
            withdrawals.withdraw(
                school=school, event=OutboxEvent.objects.select_related("school").get(pk=withdrawal.pk)
            )

    assert run_concurrently(work, ["request", "withdrawal"]) == []
    assert [(m.status, m.status_reason) for m in of_type(school, "ABSENCE_ALERT")] == [("suppressed", REASON)] * 2


def test_schools_seeded_before_these_defaults_get_them(school, other_school):
    migration = importlib.import_module("messaging.migrations.0004_message_withdrawal")
    MessageTemplate.objects.filter(school__in=[school, other_school]).delete()
    for channel, (subject, body) in migration.OLD_ABSENCE_ALERT.items():
        MessageTemplate.objects.create(school=school, type="ABSENCE_ALERT", channel=channel, subject=subject, body=body)
    # Riverside edited its SMS alert
    MessageTemplate.objects.create(school=other_school, type="ABSENCE_ALERT", channel="sms", body="{{ student_name }}")
    from django.apps import apps

    migration.seed_absence_templates(apps, None)
    migration.seed_absence_templates(apps, None)
    ours = {(t.type, t.channel): (t.subject, t.body) for t in MessageTemplate.objects.filter(school=school)}
    assert ours == {(t, c): DEFAULTS[t][c] for t in ("ABSENCE_ALERT", "ABSENCE_WITHDRAWN") for c in Channel}
    theirs = MessageTemplate.objects.filter(school=other_school)
    assert sorted(theirs.values_list("type", "channel", "body")) == [
        ("ABSENCE_ALERT", "sms", "{{ student_name }}"),
        ("ABSENCE_WITHDRAWN", "sms", DEFAULTS[TemplateType.ABSENCE_WITHDRAWN][Channel.SMS][1]),
    ]
