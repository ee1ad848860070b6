"""Same-day absence alerts end to end: a register submitted, the outbox drained, the guardians'
ABSENCE_ALERT in the message log once per pupil and guardian; corrections withdraw what was not
sent and follow up on what was."""

import datetime

import pytest
from django.utils import timezone

from academics import handlers
from academics.attendance import alerts, registers
from academics.models import AttendanceMark
from academics.tests import factories as af
from classpoint.models import OutboxEvent
from classpoint.outbox import emit, worker
from classpoint.outbox.registry import handlers_for
from messaging import pipeline
from messaging.models import Message, MessageWithdrawal
from schools.models import SchoolProfile
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
WITHDRAWN = "withdrawn: marked present after all"


@pytest.fixture
def pupils(school, attendance_term, group):
    pupils = af.enrol_pupils(school, attendance_term, group, guardians=True, first_name="Ada")
    school.guardians.update(consent_sms=True)
    return pupils


@pytest.fixture
def clock(monkeypatch, school):
    """Messaging's clock at a school-local hour of today (daytime unless a test says otherwise)."""

    def at(hour, day=None):
        moment = datetime.datetime.combine(day or school.local_today(), datetime.time(hour), tzinfo=school.tzinfo)
        monkeypatch.setattr(pipeline, "_now", lambda: moment)
        return moment

    at(12)
    return at


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Drain the outbox; with `send`, the send tasks it queued run too (the log provider delivers)."""

    def drain(send=True):
        with django_capture_on_commit_callbacks(execute=send):
            worker.drain()
        failed = list(OutboxEvent.objects.exclude(last_error="").values_list("event_type", "last_error"))
        assert not failed, failed

    return drain


def correct(school, pupil, code, actor):
    mark = AttendanceMark.objects.get(school=school, student=pupil, date=school.local_today())
    return registers.mark_correct(school=school, mark=mark, code=code, actor=actor, reason="Came in with a note")


def alerts_sent(school, template="ABSENCE_ALERT"):
    return Message.objects.filter(school=school, template_type=template)


def today_words(school):
    today = school.local_today()
    return f"{today:%A} {today.day} {today:%B}"


def test_academics_handles_both_attendance_events():
    assert handlers.alert_guardians in handlers_for("attendance.absence.recorded")
    assert handlers.withdraw_alert in handlers_for("attendance.absence.withdrawn")


def test_two_absent_and_one_late_alert_each_guardian_once(school, group, pupils, teacher, clock, run):
    a, b, c = pupils[1:]
    second = f.GuardianFactory(school=school, consent_sms=True)
    f.link(a, second, primary=False)
    SchoolProfile.objects.filter(school=school).update(phone="+2348030000001")
    # when the teacher takes the register: two absent, one 40 minutes late (over the 15-minute threshold)
    af.submit(
        school,
        group,
        [
            {"student_id": a.pk, "code": "A"},
            {"student_id": b.pk, "code": "A"},
            {"student_id": c.pk, "code": "L", "minutes_late": 40},
        ],
        teacher,
    )
    run()
    # then each guardian of each of them has one alert, delivered
    sent = alerts_sent(school)
    guardian_of = {p.pk: set(p.guardian_links.values_list("guardian_id", flat=True)) for p in (a, b, c)}
    assert sorted((m.student_id, m.guardian_id) for m in sent) == sorted(
        (pupil, guardian) for pupil, guardians in guardian_of.items() for guardian in guardians
    )
    assert len(guardian_of[a.pk]) == 2 and {m.status for m in sent} == {"delivered"}
    body = sent.filter(student=a).first().body
    assert body == (
        f"Greenfield Academy, {today_words(school)}: Ada Adeyemi ({group.name}) was absent from school today. "
        "If this is unexpected, please call the school +2348030000001"
    )
    assert "Ada Chukwu (GFA JSS 1A) arrived 40 minutes late." in sent.get(student=c).body
    # the context the request carried: plain values only, the day typed (written in the guardian's language)
    request = OutboxEvent.objects.get(event_type="messaging.requested", payload__student_id=c.pk)
    assert request.payload["template"] == "ABSENCE_ALERT"
    assert request.payload["guardian_ids"] == sorted(guardian_of[c.pk])
    assert request.payload["context"] == {
        "school_name": "Greenfield Academy",
        "student_name": "Ada Chukwu",
        "class_name": group.name,
        "date": {"date": school.local_today().isoformat(), "format": "WEEKDAY_MONTH_DAY"},
        "school_phone": "+2348030000001",
        # the words in each language shipped; each guardian reads their own (Yoruba falls back to English)
        "absence": {
            "text": {"en": "arrived 40 minutes late", "es": "llegó 40 minutos tarde", "yo": "arrived 40 minutes late"}
        },
        "lesson": "",
    }
    assert request.dedupe_key == f"msg:absence-alert:{c.pk}:{school.local_today().isoformat()}"


def test_editing_the_register_again_sends_nothing_twice(school, group, pupils, teacher, clock, run):
    a, b = pupils[1], pupils[2]
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}, {"student_id": b.pk, "code": "A"}], teacher)
    run()
    before = alerts_sent(school).count()
    # when the register is edited twice more: a note, then one pupil turns out to be late instead
    af.submit(school, group, [{"student_id": a.pk, "code": "A", "note": "no word from home"}], teacher)
    af.submit(school, group, [{"student_id": b.pk, "code": "L", "minutes_late": 50}], teacher)
    run()
    # then no guardian hears twice
    assert before == 2 and alerts_sent(school).count() == before
    assert OutboxEvent.objects.filter(event_type="messaging.requested").count() == 2
    assert not alerts_sent(school, "ABSENCE_WITHDRAWN").exists()


def test_a_correction_before_the_alert_is_sent_suppresses_it(school, group, pupils, teacher, clock, run):
    a, b = pupils[1], pupils[2]
    # given alerts asked for during quiet hours, so held for the morning
    clock(22)
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}, {"student_id": b.pk, "code": "A"}], teacher)
    run()
    assert set(alerts_sent(school).values_list("status", flat=True)) == {"deferred"}
    # when the officer corrects one of them to present
    correct(school, a, "P", teacher)
    run()
    # then that alert is suppressed with the reason, and no one is told anything about it
    withdrawn = alerts_sent(school).get(student=a)
    assert (withdrawn.status, withdrawn.status_reason) == ("suppressed", WITHDRAWN)
    assert not alerts_sent(school, "ABSENCE_WITHDRAWN").exists()
    # and in the morning only the other one goes
    morning = clock(7, school.local_today() + datetime.timedelta(days=1))
    assert pipeline.release_deferred(now=morning) == 1
    assert alerts_sent(school).get(student=b).status == "queued"
    assert alerts_sent(school).get(student=a).status == "suppressed"


def test_a_correction_after_the_alert_was_sent_follows_up_once(school, group, pupils, teacher, clock, run):
    a, b = pupils[1], pupils[2]
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}, {"student_id": b.pk, "code": "A"}], teacher)
    run()
    # when the pupil is corrected to present after their guardian had the alert, and the mark is edited again
    correct(school, a, "P", teacher)
    run()
    af.submit(school, group, [{"student_id": a.pk, "code": "P", "note": "was in the library"}], teacher)
    run()
    # then the guardian gets one follow-up; the other pupil's family hears nothing more
    follow_up = alerts_sent(school, "ABSENCE_WITHDRAWN").get()
    guardian = a.guardian_links.get().guardian
    assert (follow_up.guardian, follow_up.student, follow_up.status) == (guardian, a, "delivered")
    assert follow_up.body == (
        f"Greenfield Academy: Update: Ada Adeyemi was marked present after all on {today_words(school)}. "
        "Sorry for the worry."
    )
    assert alerts_sent(school).get(student=a).status == "delivered"
    assert Message.objects.filter(school=school).count() == 3


def test_a_withdrawal_handled_before_the_request_means_nothing_is_ever_sent(school, group, pupils, teacher, clock, run):
    a = pupils[1]
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}], teacher)
    # given the alert was asked for, but messaging's first try failed and the retry waits
    recorded = OutboxEvent.objects.get(event_type="attendance.absence.recorded")
    handlers.alert_guardians(recorded)
    OutboxEvent.objects.filter(pk=recorded.pk).update(processed_at=timezone.now())
    later = timezone.now() + datetime.timedelta(hours=1)
    OutboxEvent.objects.filter(event_type="messaging.requested").update(available_at=later)
    # when the correction's withdrawal is handled first
    correct(school, a, "P", teacher)
    run()
    assert MessageWithdrawal.objects.filter(school=school).count() == 1 and not alerts_sent(school).exists()
    # then the retried request makes only suppressed messages
    OutboxEvent.objects.filter(event_type="messaging.requested").update(available_at=timezone.now())
    run()
    message = alerts_sent(school).get()
    assert (message.status, message.status_reason) == ("suppressed", WITHDRAWN)
    assert list(message.history.values_list("status", flat=True)) == ["suppressed"]
    assert not alerts_sent(school, "ABSENCE_WITHDRAWN").exists()


def test_a_correction_before_the_event_is_handled_asks_for_nothing(school, group, pupils, teacher, clock, run):
    a = pupils[1]
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}], teacher)
    correct(school, a, "E-ILL", teacher)
    run()
    assert not OutboxEvent.objects.filter(event_type="messaging.requested").exists()
    assert not Message.objects.filter(school=school).exists()


def test_consent_applies_as_for_every_message(school, group, pupils, teacher, clock, run):
    a, b = pupils[1], pupils[2]
    emailed = a.guardian_links.get().guardian
    emailed.consent_sms, emailed.consent_email = False, True
    emailed.save()
    school.guardians.filter(student_links__student=b).update(consent_sms=False)
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}, {"student_id": b.pk, "code": "A"}], teacher)
    run()
    # a guardian without SMS consent who agreed to email gets the alert by email
    by_email = alerts_sent(school).get(student=a)
    assert (by_email.channel, by_email.status, by_email.subject) == (
        "email",
        "delivered",
        "Ada Adeyemi was absent from school today",
    )
    # one who agreed to nothing gets nothing, and the log says why
    refused = alerts_sent(school).get(student=b)
    assert refused.status == "suppressed" and "no consent for SMS" in refused.status_reason


def test_a_lesson_register_names_the_lesson(school, group, pupils, teacher, attendance_term, clock, run):
    a = pupils[1]
    lesson = af.slot(
        school, class_group=group, term=attendance_term, weekday=school.local_today().isoweekday(), start="09:00"
    )
    af.submit(school, group, [{"student_id": a.pk, "code": "A"}], teacher, slot=lesson)
    run()
    context = OutboxEvent.objects.get(event_type="messaging.requested").payload["context"]
    assert (context["absence"]["text"]["en"], context["lesson"]) == (
        "was absent from Mathematics today",
        "Mathematics, 09:00",
    )
    assert "Ada Adeyemi (GFA JSS 1A) was absent from Mathematics today." in alerts_sent(school).get().body


def test_the_handlers_ignore_a_payload_naming_another_schools_pupil(school, other_school, pupils, clock, run):
    run()
    stranger = other_school.students.get()
    today = school.local_today().isoformat()
    # when events of Greenfield name Riverside's pupil
    for event_type in ("attendance.absence.recorded", "attendance.absence.withdrawn"):
        emit(school=school, event_type=event_type, payload={"student_id": stranger.pk, "date": today})
    run()
    # then no message is asked for or taken back, in either school
    assert not OutboxEvent.objects.filter(event_type__in=["messaging.requested", "messaging.withdrawn"]).exists()
    assert not alerts_sent(school).exists() and not alerts_sent(other_school).exists()


def test_an_alert_handled_after_its_day_alarms_no_one(school, group, pupils, teacher, clock):
    a = pupils[1]
    yesterday = school.local_today() - datetime.timedelta(days=1)
    registers.register_submit(
        school=school, class_group=group, date=yesterday, marks=[{"student_id": a.pk, "code": "A"}], actor=teacher
    )
    assert alerts.alert_request(school=school, student_id=a.pk, date=yesterday.isoformat()) is None
    assert alerts.alert_request(school=school, student_id=a.pk, date="not a date") is None


def test_a_spanish_guardian_reads_what_happened_in_spanish(school, group, pupils, teacher, clock, run):
    a, c = pupils[1], pupils[3]
    for pupil in (a, c):
        pupil.guardian_links.first().guardian.__class__.objects.filter(
            pk__in=pupil.guardian_links.values("guardian_id")
        ).update(preferred_language="es")
    af.submit(
        school,
        group,
        [{"student_id": a.pk, "code": "A"}, {"student_id": c.pk, "code": "L", "minutes_late": 40}],
        teacher,
    )
    run()
    sent = alerts_sent(school)
    absent, late = sent.get(student=a).body, sent.get(student=c).body
    # (an SMS keeps to GSM-7: faltó -> falto)
    assert "Ada Adeyemi (GFA JSS 1A): falto hoy al colegio." in absent and "school" not in absent
    assert "Ada Chukwu (GFA JSS 1A): llego 40 minutos tarde." in late and "late" not in late
