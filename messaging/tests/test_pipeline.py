"""The `messaging.requested` pipeline: recipients, channel, consent, quiet hours, rendering, one
message per request and guardian, and the deferred release."""

import datetime
import zoneinfo

import pytest
from django.core.management import call_command
from django_q.tasks import async_task

from classpoint.messages import request_message
from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from messaging import pipeline
from messaging.models import Message, MessageTemplate
from schools.models import SchoolProfile
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

LAGOS = zoneinfo.ZoneInfo("Africa/Lagos")
CONTEXT = {
    "student_name": "Ada Obi",
    "amount": "₦45,000.00",
    "receipt_number": "R-0001",
    "balance": "₦0.00",
    "invoice_number": "INV-1",
    "paid_at": "3 March",
}


def lagos(hour, minute, day=3):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=LAGOS)


@pytest.fixture
def at(monkeypatch):
    """Stand the pipeline's clock at a school-local moment (daytime by default)."""

    def set_clock(moment):
        monkeypatch.setattr(pipeline, "_now", lambda: moment)

    set_clock(lagos(12, 0))
    return set_clock


@pytest.fixture
def guardian(school):
    g = school.guardians.get()
    g.consent_sms = g.consent_whatsapp = g.consent_email = True
    g.save()
    return g


def ask(school, django_capture_on_commit_callbacks, *, dedupe_key="k1", send=True, **extra):
    """Request a message, then run the outbox and (unless `send` is False) the send tasks it queued."""
    student = school.students.get()
    kwargs = {"guardian_ids": [], "student_id": student.pk, "template": "PAYMENT_RECEIPT", "context": CONTEXT}
    kwargs.update(extra)
    with django_capture_on_commit_callbacks(execute=send):
        event = request_message(school=school, dedupe_key=dedupe_key, **kwargs)
        worker.drain()
    return event


def test_request_for_a_student_reaches_each_guardian_on_their_preferred_channel(
    school, guardian, at, django_capture_on_commit_callbacks
):
    # given a second guardian of the same pupil who prefers email
    second = f.GuardianFactory(school=school, preferred_channel="email", consent_email=True)
    f.link(school.students.get(), second, primary=False)
    # when
    ask(school, django_capture_on_commit_callbacks)
    # then
    messages = {m.guardian_id: m for m in Message.objects.for_school(school)}
    assert set(messages) == {guardian.pk, second.pk}
    assert (messages[guardian.pk].channel, messages[guardian.pk].to_address) == ("sms", guardian.phone)
    assert (messages[second.pk].channel, messages[second.pk].to_address) == ("email", second.email)
    sms = messages[guardian.pk]
    assert sms.status == "delivered" and sms.provider == "log" and sms.provider_message_id.startswith("log-")
    assert "R-0001" in sms.body and "Greenfield Academy" in sms.body
    assert list(sms.history.values_list("status", flat=True)) == ["queued", "sending", "sent", "delivered"]
    assert messages[second.pk].subject  # email gets the default template's subject


def test_explicit_guardian_ids_override_the_student_and_ignore_other_schools(
    school, other_school, guardian, at, django_capture_on_commit_callbacks
):
    foreign = other_school.guardians.get()
    extra = f.GuardianFactory(school=school, consent_sms=True)
    ask(school, django_capture_on_commit_callbacks, guardian_ids=[extra.pk, foreign.pk])
    assert list(Message.objects.for_school(school).values_list("guardian_id", flat=True)) == [extra.pk]
    assert not Message.objects.for_school(other_school).exists()


def test_requested_channel_wins_over_the_preference(school, guardian, at, django_capture_on_commit_callbacks):
    ask(school, django_capture_on_commit_callbacks, channel="whatsapp")
    assert Message.objects.for_school(school).get().channel == "whatsapp"


def test_without_consent_for_the_preferred_channel_another_consented_channel_is_used(
    school, guardian, at, django_capture_on_commit_callbacks
):
    guardian.consent_sms = False
    guardian.consent_whatsapp = False
    guardian.save()
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    assert (message.channel, message.to_address, message.status) == ("email", guardian.email, "delivered")


def test_consented_channel_without_an_address_is_skipped(school, guardian, at, django_capture_on_commit_callbacks):
    guardian.consent_sms = guardian.consent_whatsapp = False
    guardian.email = ""
    guardian.save()
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    assert message.status == "suppressed"
    assert "no email address for Email" in message.status_reason


def test_guardian_without_consent_on_any_channel_is_suppressed_logged_and_not_sent(
    school, at, django_capture_on_commit_callbacks, caplog
):
    # given the fixture guardian, who never consented to anything
    caplog.set_level("INFO", logger="messaging.sent")
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    assert (message.status, message.channel) == ("suppressed", "sms")
    assert "no consent for SMS" in message.status_reason and "no consent for Email" in message.status_reason
    assert message.attempts == 0 and message.provider == "" and not caplog.records
    assert list(message.history.values_list("status", flat=True)) == ["suppressed"]


def test_consent_withdrawn_after_queueing_suppresses_at_send_time(school, guardian, at):
    from messaging.tasks import send_message

    message = pipeline._create(
        school=school,
        event=OutboxEvent(pk=1),
        guardian=guardian,
        student=None,
        channel="sms",
        type_="WELCOME",
        subject="",
        body="Hi",
        status="queued",
        reason="",
        urgent=False,
        send_after=None,
    )
    guardian.consent_sms = False
    guardian.save()
    assert send_message(message.pk) == "suppressed"
    message.refresh_from_db()
    assert message.attempts == 0 and "withdrawn" in message.status_reason


@pytest.mark.parametrize(
    "moment, deferred_until",
    [
        (lagos(20, 59), None),
        (lagos(21, 0), lagos(7, 0, day=4)),
        (lagos(23, 30), lagos(7, 0, day=4)),
        (lagos(0, 15), lagos(7, 0)),
        (lagos(6, 59), lagos(7, 0)),
        (lagos(7, 0), None),
    ],
    ids=["20:59 sends", "21:00 defers", "23:30 defers", "00:15 defers", "06:59 defers", "07:00 sends"],
)
def test_quiet_hours_boundaries_in_school_time(
    school, guardian, at, moment, deferred_until, django_capture_on_commit_callbacks
):
    at(moment)
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    if deferred_until is None:
        assert message.status == "delivered" and message.send_after is None
    else:
        assert message.status == "deferred" and message.attempts == 0
        assert message.send_after == deferred_until
        assert "07:00" in message.status_reason


def test_quiet_hours_follow_the_school_profile_and_may_not_cross_midnight(school):
    SchoolProfile.objects.filter(school=school).update(
        quiet_hours_start=datetime.time(13, 0), quiet_hours_end=datetime.time(14, 0)
    )
    assert pipeline.quiet_hours_end(school=school, now=lagos(12, 59)) is None
    assert pipeline.quiet_hours_end(school=school, now=lagos(13, 0)) == lagos(14, 0)
    assert pipeline.quiet_hours_end(school=school, now=lagos(14, 0)) is None
    # UTC instants are read in the school's zone: 20:30 UTC is 21:30 in Lagos
    SchoolProfile.objects.filter(school=school).update(quiet_hours_start=datetime.time(21, 0))
    SchoolProfile.objects.filter(school=school).update(quiet_hours_end=datetime.time(7, 0))
    utc = datetime.datetime(2026, 3, 3, 20, 30, tzinfo=datetime.UTC)
    assert pipeline.quiet_hours_end(school=school, now=utc) == lagos(7, 0, day=4)


def test_queued_message_whose_task_runs_in_quiet_hours_is_deferred_not_sent(
    school, guardian, at, django_capture_on_commit_callbacks
):
    from messaging.tasks import send_message

    # given a message queued at 20:59 whose send task only runs at 21:00 (a backlog)
    at(lagos(20, 59))
    ask(school, django_capture_on_commit_callbacks, send=False)
    at(lagos(21, 0))
    message = Message.objects.for_school(school).get()
    assert send_message(message.pk) == "deferred"
    message.refresh_from_db()
    assert message.send_after == lagos(7, 0, day=4) and message.attempts == 0


def test_urgent_request_bypasses_quiet_hours(school, guardian, at, django_capture_on_commit_callbacks):
    at(lagos(23, 0))
    ask(school, django_capture_on_commit_callbacks, urgent=True)
    message = Message.objects.for_school(school).get()
    assert message.status == "delivered" and message.urgent


def test_deferred_message_is_released_when_the_window_ends(school, guardian, at, django_capture_on_commit_callbacks):
    at(lagos(22, 0))
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    assert message.status == "deferred"
    # at 06:59 nothing is due yet
    at(lagos(6, 59, day=4))
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.release_deferred() == 0
    at(lagos(7, 0, day=4))
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.release_deferred() == 1
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(message.history.values_list("status", flat=True)) == [
        "deferred",
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.release_deferred() == 0


def test_send_deferred_messages_command_releases_due_messages(
    school, guardian, at, django_capture_on_commit_callbacks, capsys
):
    at(lagos(22, 0))
    ask(school, django_capture_on_commit_callbacks)
    at(lagos(8, 0, day=4))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_deferred_messages")
    assert "Released 1 deferred" in capsys.readouterr().out
    assert Message.objects.for_school(school).get().status == "delivered"


def test_duplicate_request_with_one_dedupe_key_makes_one_message(
    school, guardian, at, django_capture_on_commit_callbacks
):
    first = ask(school, django_capture_on_commit_callbacks, dedupe_key="receipt:R-0001")
    second = ask(school, django_capture_on_commit_callbacks, dedupe_key="receipt:R-0001")
    assert first.pk == second.pk
    assert Message.objects.for_school(school).count() == 1


def test_redelivered_request_event_creates_nothing(school, guardian, at, django_capture_on_commit_callbacks):
    event = ask(school, django_capture_on_commit_callbacks)
    # a redelivery (the worker died after handling, before marking the event processed)
    with django_capture_on_commit_callbacks(execute=True):
        assert pipeline.handle_request(OutboxEvent.objects.get(pk=event.pk)) == []
    message = Message.objects.for_school(school).get()
    assert message.idempotency_key == f"req:{event.pk}:{guardian.pk}:sms"
    assert message.history.filter(status="sending").count() == 1


def test_school_template_is_used_and_a_switched_off_one_suppresses(
    school, guardian, at, django_capture_on_commit_callbacks
):
    MessageTemplate.objects.update_or_create(
        school=school, type="PAYMENT_RECEIPT", channel="sms", defaults={"body": "Paid {{ amount }}. {{ school_name }}"}
    )
    ask(school, django_capture_on_commit_callbacks, dedupe_key="a")
    # SMS text is kept to GSM-7 by the renderer, so the naira sign is spelt out
    assert Message.objects.for_school(school).get().body == "Paid NGN45,000.00. Greenfield Academy"
    MessageTemplate.objects.for_school(school).filter(type="PAYMENT_RECEIPT", channel="sms").update(is_active=False)
    ask(school, django_capture_on_commit_callbacks, dedupe_key="b")
    latest = Message.objects.for_school(school).order_by("-id").first()
    assert latest.status == "suppressed" and "switched off" in latest.status_reason


def test_missing_template_and_default_suppresses_with_a_clear_reason(
    school, guardian, at, django_capture_on_commit_callbacks, monkeypatch
):
    worker.drain()  # provisioning seeds the defaults as templates; remove them after that
    MessageTemplate.objects.for_school(school).filter(type="PAYMENT_RECEIPT").delete()
    monkeypatch.setattr(pipeline, "_default", lambda type_, channel: None)
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    assert message.status == "suppressed"
    assert message.status_reason == "No PAYMENT_RECEIPT template for SMS, and no built-in default."


def test_missing_school_template_falls_back_to_the_default(school, guardian, at, django_capture_on_commit_callbacks):
    worker.drain()  # provisioning seeds the defaults as templates; remove them after that
    MessageTemplate.objects.for_school(school).filter(type="PAYMENT_RECEIPT").delete()
    ask(school, django_capture_on_commit_callbacks)
    message = Message.objects.for_school(school).get()
    assert message.status == "delivered" and "R-0001" in message.body
    assert not MessageTemplate.objects.for_school(school).filter(type="PAYMENT_RECEIPT").exists()


def test_request_message_carries_optional_channel_and_urgency(school):
    event = request_message(
        school=school, template="WELCOME", guardian_ids=[1], context={}, dedupe_key="x", channel="email", urgent=True
    )
    assert event.payload["channel"] == "email" and event.payload["urgent"] is True
    plain = request_message(school=school, template="WELCOME", guardian_ids=[1], context={}, dedupe_key="y")
    assert plain.payload["channel"] is None and plain.payload["urgent"] is False


def test_messages_total_counter_counts_statuses(school, guardian, at, django_capture_on_commit_callbacks):
    from prometheus_client import REGISTRY

    def value(status):
        return REGISTRY.get_sample_value("classpoint_messages_total", {"channel": "sms", "status": status}) or 0

    before = value("delivered")
    ask(school, django_capture_on_commit_callbacks)
    assert value("delivered") == before + 1
    at(lagos(22, 0))
    ask(school, django_capture_on_commit_callbacks, dedupe_key="night")
    assert REGISTRY.get_sample_value("classpoint_messages_deferred") == 1


def test_many_requests_are_handled_as_one_batch_and_redelivery_adds_nothing(
    school, at, django_capture_on_commit_callbacks
):
    # given 30 families, each asked about in its own request
    guardians = []
    for i in range(30):
        student = f.StudentFactory(school=school)
        g = f.GuardianFactory(school=school, phone=f"+2348030000{i:03d}", consent_sms=True, preferred_channel="sms")
        f.link(student, g)
        guardians.append(g)
    context = {"title": "Sports day", "message": "Friday at 9."}
    events = [
        request_message(
            school=school, dedupe_key=f"b{g.pk}", guardian_ids=[g.pk], template="ANNOUNCEMENT", context=context
        )
        for g in guardians
    ]
    # when the worker takes them in one claim
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        worker.drain(batch_size=100)
    # then one message each, sent through batched send tasks (not one task per message)
    messages = Message.objects.for_school(school).filter(request_event_id__in=[e.pk for e in events])
    assert messages.count() == 30
    assert set(messages.values_list("status", flat=True)) == {"delivered"}
    assert sorted(messages.values_list("guardian_id", flat=True)) == sorted(g.pk for g in guardians)
    assert len(callbacks) == 1  # one on-commit hook queueing the sends
    # and handling the same events again (an at-least-once redelivery) creates nothing
    loaded = list(OutboxEvent.objects.filter(pk__in=[e.pk for e in events]))
    assert pipeline.handle_requests(loaded) == []
    assert messages.count() == 30


def test_a_batch_with_a_message_made_meanwhile_still_makes_the_others(school, at, django_capture_on_commit_callbacks):
    # given two requests, one of whose messages a concurrent delivery already made
    guardians = [f.GuardianFactory(school=school, phone=f"+23480300001{i}", consent_sms=True) for i in range(2)]
    events = [
        request_message(
            school=school,
            dedupe_key=f"c{g.pk}",
            guardian_ids=[g.pk],
            template="ANNOUNCEMENT",
            context={"title": "T", "body": "B"},
        )
        for g in guardians
    ]
    loaded = list(OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk"))
    with django_capture_on_commit_callbacks(execute=False):
        first = pipeline.handle_requests(loaded[:1])
        # when the batch runs with a done-set that missed it (as a racing worker would)
        original = Message.objects.for_school(school).filter(pk=first[0].pk)
        original.update(request_event_id=None)  # hide it from the redelivery check, keep its unique key
        created = pipeline.handle_requests(loaded)
    # then the existing one is skipped by its unique key and the other is made
    assert [m.guardian_id for m in created] == [guardians[1].pk]


def test_release_of_a_big_backlog_queues_each_once(school, guardian, at, django_capture_on_commit_callbacks):
    at(lagos(22, 0))
    for i in range(7):
        ask(school, django_capture_on_commit_callbacks, dedupe_key=f"q{i}")
    deferred = Message.objects.for_school(school).filter(status="deferred")
    assert deferred.count() == 7
    at(lagos(7, 0, day=4))
    with django_capture_on_commit_callbacks(execute=False):
        assert pipeline.release_deferred(now=lagos(7, 0, day=4), batch_size=3) == 7
        assert pipeline.release_deferred(now=lagos(7, 0, day=4)) == 0
    assert Message.objects.for_school(school).filter(status="queued").count() == 7
    for message in Message.objects.for_school(school):
        assert [c.status for c in message.history.order_by("id")] == ["deferred", "queued"]


def test_a_send_task_past_its_time_budget_hands_the_rest_to_a_new_task(
    school, guardian, at, settings, django_capture_on_commit_callbacks
):
    from messaging.tasks import send_messages

    for i in range(3):
        ask(school, django_capture_on_commit_callbacks, dedupe_key=f"t{i}", send=False)
    ids = list(Message.objects.for_school(school).order_by("id").values_list("id", flat=True))
    settings.MESSAGING_SEND_TASK_TIMEOUT = 0  # the budget is gone after the first message
    with django_capture_on_commit_callbacks(execute=False) as handed_over:
        results = send_messages(ids)
    assert results == {ids[0]: "delivered"}
    assert list(Message.objects.filter(pk__in=ids[1:]).values_list("status", flat=True)) == ["queued", "queued"]
    assert len(handed_over) == 1
    settings.MESSAGING_SEND_TASK_TIMEOUT = 90
    assert send_messages(ids[1:]) == {ids[1]: "delivered", ids[2]: "delivered"}
    # each one's history: queued, sending, sent, delivered, written once
    for message in Message.objects.filter(pk__in=ids):
        assert [c.status for c in message.history.order_by("id")] == ["queued", "sending", "sent", "delivered"]


def test_one_send_task_records_every_message_of_several_schools_as_a_worker_runs_it(
    school, other_school, guardian, django_capture_on_commit_callbacks
):
    # The deferred sweep hands one task messages of several schools; each acceptance is written in
    # the next claim's transaction, which belongs to the next message's school, and the last one
    # after the loop, in no school at all. Run as the cluster runs it (async_task: a fresh scope).
    theirs = other_school.guardians.get()
    theirs.consent_sms = True
    theirs.save()
    ask(school, django_capture_on_commit_callbacks, dedupe_key="a", send=False)
    ask(other_school, django_capture_on_commit_callbacks, dedupe_key="b", send=False)
    ask(school, django_capture_on_commit_callbacks, dedupe_key="c", send=False)
    ids = list(Message.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 3 and len(set(Message.objects.values_list("school_id", flat=True))) == 2

    async_task("messaging.tasks.send_messages", ids)

    for message in Message.objects.filter(pk__in=ids):
        assert message.status == "delivered", (message.school.slug, message.status, message.status_reason)
        assert [c.status for c in message.history.order_by("id")] == ["queued", "sending", "sent", "delivered"]
