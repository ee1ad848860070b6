"""Announcements: fan-out to each family once, audiences, scheduled publishing, live counts, and
another school's announcements hidden."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from fees import services
from fees.models import Invoice
from messaging import announcements as ann
from messaging import pipeline
from messaging.errors import MessagingError
from messaging.models import Announcement, Message
from schools.models import Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    # Outside quiet hours whatever time the suite runs.
    monkeypatch.setattr(pipeline, "_now", lambda: timezone.now().replace(hour=11, minute=0))


def _requests(school):
    return OutboxEvent.objects.filter(school=school, event_type="messaging.requested")


def _pupil(school, number, guardian, group=None):
    student = Student.objects.create(school=school, admission_number=number, first_name=number, last_name="Okafor")
    f.enroll(student, school.current_term(), group or school.class_groups.get())
    f.link(student, guardian, primary=not guardian.student_links.exists())
    return student


@pytest.fixture
def families(school):
    """Greenfield: the fixture guardian with GFAPupil and two more children; a second family with one
    child in another class. Everyone consented to SMS."""
    mother = school.guardians.get()
    _pupil(school, "GFA/0002", mother)
    _pupil(school, "GFA/0003", mother)
    other_group = f.ClassGroupFactory(school=school, name="GFA JSS 2A")
    father = f.GuardianFactory(school=school, first_name="Bola", last_name="Ade")
    _pupil(school, "GFA/0004", father, other_group)
    school.guardians.update(consent_sms=True)
    return {"mother": mother, "father": father, "other_group": other_group}


def _publish(school, actor, capture, **fields):
    fields.setdefault("title", "Sports day")
    fields.setdefault("body", "Sports day is on Friday at 9am.")
    announcement = ann.announcement_create(school=school, actor=actor, **fields)
    with capture(execute=True):
        ann.announcement_publish(announcement=announcement, actor=actor)
        worker.drain()
    return announcement


def test_fan_out_sends_one_message_per_guardian_however_many_children(
    school, alice, families, django_capture_on_commit_callbacks
):
    announcement = _publish(school, alice, django_capture_on_commit_callbacks)

    requests = _requests(school).order_by("dedupe_key")
    assert [r.dedupe_key for r in requests] == sorted(
        f"msg:announcement:{announcement.pk}:{g.pk}" for g in (families["mother"], families["father"])
    )
    messages = Message.objects.for_school(school).filter(template_type="ANNOUNCEMENT")
    assert sorted(messages.values_list("guardian_id", flat=True)) == sorted(
        [families["mother"].pk, families["father"].pk]
    )
    body = messages.get(guardian=families["mother"]).body
    assert "Sports day" in body and "Friday at 9am" in body
    assert ann.announcement_counts(announcement)["delivered"] == 2


def test_redelivered_published_event_asks_for_nothing_twice(
    school, alice, families, django_capture_on_commit_callbacks
):
    announcement = _publish(school, alice, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(school=school, event_type="announcement.published")

    assert ann.fan_out(event) == 0
    assert _requests(school).count() == 2
    assert announcement.published_at is not None


def test_publishing_twice_is_refused_and_emits_once(school, alice, families):
    announcement = ann.announcement_create(school=school, actor=alice, title="T", body="B")
    ann.announcement_publish(announcement=announcement, actor=alice)

    with pytest.raises(MessagingError) as exc:
        ann.announcement_publish(announcement=announcement, actor=alice)
    assert exc.value.code == "already_published"
    assert OutboxEvent.objects.filter(school=school, event_type="announcement.published").count() == 1


def test_class_group_audience_reaches_only_those_classes(school, alice, families, django_capture_on_commit_callbacks):
    _publish(
        school,
        alice,
        django_capture_on_commit_callbacks,
        audience="class_groups",
        class_group_ids=[families["other_group"].pk],
    )

    assert list(Message.objects.for_school(school).values_list("guardian_id", flat=True)) == [families["father"].pk]


def test_chosen_channels_ask_once_per_guardian_and_channel(school, alice, families, django_capture_on_commit_callbacks):
    school.guardians.update(consent_email=True)
    _publish(school, alice, django_capture_on_commit_callbacks, channels=["sms", "email"])

    assert _requests(school).count() == 4
    assert sorted(
        Message.objects.for_school(school).filter(guardian=families["father"]).values_list("channel", flat=True)
    ) == ["email", "sms"]


def test_overdue_balance_audience_reaches_only_families_that_owe(
    school, alice, bursar, families, django_capture_on_commit_callbacks
):
    item = services.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=school.current_term(),
        name="JSS 2",
        class_group=families["other_group"],
        lines=[{"fee_item": item, "amount_minor": 5_000_000}],
    )
    student = school.students.get(admission_number="GFA/0004")
    invoice = services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=student, term=school.current_term()),
        actor=bursar,
    )
    Invoice.objects.filter(pk=invoice.pk).update(due_date=school.local_today() - datetime.timedelta(days=10))

    _publish(school, alice, django_capture_on_commit_callbacks, audience="overdue_balance")

    assert list(
        Message.objects.for_school(school).filter(template_type="ANNOUNCEMENT").values_list("guardian_id", flat=True)
    ) == [families["father"].pk]


def test_scheduled_announcement_is_published_by_the_schedule_when_due(school, alice, families):
    when = timezone.now() + datetime.timedelta(hours=1)
    announcement = ann.announcement_create(school=school, actor=alice, title="T", body="B", scheduled_for=when)

    assert ann.publish_due() == 0
    assert ann.publish_due(now=when + datetime.timedelta(seconds=30)) == 1
    assert ann.publish_due(now=when + datetime.timedelta(minutes=1)) == 0
    announcement.refresh_from_db()
    assert announcement.published_at is not None
    assert OutboxEvent.objects.filter(school=school, event_type="announcement.published").count() == 1


def test_create_reports_field_errors_and_saves_nothing(school, alice, other_school):
    foreign = other_school.class_groups.get()
    with pytest.raises(MessagingError) as exc:
        ann.announcement_create(
            school=school,
            actor=alice,
            title="",
            body="",
            audience="class_groups",
            class_group_ids=[foreign.pk],
            channels=["pigeon"],
            scheduled_for=timezone.now() - datetime.timedelta(minutes=1),
        )
    assert set(exc.value.fields) == {"title", "body", "class_groups", "channels", "scheduled_for"}
    assert not Announcement.objects.for_school(school).exists()


def test_counts_follow_the_messages_by_status(school, alice, families, django_capture_on_commit_callbacks):
    families["father"].__class__.objects.filter(pk=families["father"].pk).update(consent_sms=False)
    announcement = ann.announcement_create(school=school, actor=alice, title="T", body="B")
    ann.announcement_publish(announcement=announcement, actor=alice)
    with django_capture_on_commit_callbacks(execute=False):
        worker.drain()

    counts = ann.announcement_counts(announcement)
    assert (counts["requested"], counts["pending"], counts["queued"], counts["suppressed"]) == (2, 0, 1, 1)
    assert counts["in_flight"] is True


# --- Pages and API ---------------------------------------------------------------------------

URL = "/s/greenfield/messages/announcements/"
API = "/api/v1/schools/greenfield/announcements/"


def test_staff_create_and_publish_from_the_workspace(school, alice, families, verified_client):
    client = verified_client(alice)
    response = client.post(f"{URL}new/", {"title": "Fees week", "body": "Please pay.", "audience": "whole_school"})
    announcement = Announcement.objects.for_school(school).get()
    assert response.status_code == 302

    client.post(f"{URL}{announcement.pk}/publish/")
    page = client.get(f"{URL}{announcement.pk}/")

    assert page.status_code == 200 and "Fees week" in page.content.decode()
    announcement.refresh_from_db()
    assert announcement.published_at is not None
    counts = client.get(f"{URL}{announcement.pk}/counts/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in counts.content.decode()  # the fan-out has not run yet


def test_invalid_form_shows_field_errors(school, alice, verified_client):
    response = verified_client(alice).post(f"{URL}new/", {"title": "", "body": "x", "audience": "whole_school"})
    assert response.status_code == 400
    assert "Give the announcement a title." in response.content.decode()


def test_other_schools_announcement_is_a_404(school, other_school, alice, charlie, verified_client, api):
    theirs = ann.announcement_create(school=other_school, actor=charlie, title="Riverside news", body="B")
    client = verified_client(alice)
    for path in (f"{theirs.pk}/", f"{theirs.pk}/counts/"):
        assert client.get(URL + path).status_code == 404
    assert client.post(f"{URL}{theirs.pk}/publish/").status_code == 404
    api.force_authenticate(alice)
    assert api.post(f"{API}{theirs.pk}/publish/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.published_at is None


def test_api_creates_lists_and_publishes(school, alice, families, api):
    api.force_authenticate(alice)
    created = api.post(API, {"title": "T", "body": "B", "audience": "whole_school"}, format="json")
    assert created.status_code == 201, created.content
    bad = api.post(API, {"title": "", "body": "B"}, format="json")
    assert bad.status_code == 400 and "title" in bad.json()["error"]["fields"]

    published = api.post(f"{API}{created.json()['id']}/publish/")
    listed = api.get(API)

    assert published.status_code == 200 and published.json()["published_at"]
    assert [a["title"] for a in listed.json()["results"]] == ["T"]


def test_send_defaulter_reminders_prints_its_counts(school, families, capsys):
    call_command("send_defaulter_reminders", "--school", "greenfield")
    assert "families=0 requested=0" in capsys.readouterr().out
