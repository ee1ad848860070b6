"""Messaging's outbox handlers act within the event's school: a request or an announcement naming
another school's guardians, pupil or announcement messages no one. The same event from the row's
own school is the control: it does message the family."""

import pytest

from classpoint.messages import request_message
from classpoint.models import OutboxEvent
from classpoint.outbox import emit, worker
from messaging.models import Announcement, Message, TemplateType

pytestmark = pytest.mark.django_db


def drain():
    worker.drain()
    failed = list(OutboxEvent.objects.exclude(last_error="").values_list("event_type", "last_error"))
    assert not failed, failed


@pytest.fixture(params=["own school", "another school"])
def sender(request, school, other_school):
    return other_school if request.param == "own school" else school


def test_message_request_naming_riverside_families_messages_them_only_from_riverside(sender, other_school):
    drain()
    pupil = other_school.students.get(admission_number="RVC/0001")
    guardian = other_school.guardians.get()
    # when requests name Riverside's guardian, and a Riverside pupil's family
    for key, ids, student_id in (("by-guardian", [guardian.pk], None), ("by-pupil", [], pupil.pk)):
        request_message(
            school=sender,
            template=TemplateType.ANNOUNCEMENT,
            guardian_ids=ids,
            student_id=student_id,
            context={"title": "Closed", "message": "School is closed"},
            dedupe_key=key,
        )
    drain()
    # then only Riverside's own request reaches its guardian
    assert Message.objects.exists() == (sender == other_school)
    assert not Message.objects.exclude(school=other_school).exists()


def test_announcement_published_messages_only_from_its_own_school(sender, other_school):
    drain()
    theirs = Announcement.objects.create(school=other_school, title="Closed", body="School is closed")
    # when an event says Riverside's announcement is published
    emit(school=sender, event_type="announcement.published", payload={"announcement_id": theirs.pk})
    drain()
    # then only Riverside's own event reaches its families
    assert Message.objects.exists() == (sender == other_school)
    assert not Message.objects.exclude(school=other_school).exists()
