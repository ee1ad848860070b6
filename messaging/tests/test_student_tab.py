"""messaging's tabs: the messages sent about a pupil (and to their guardians about no child), on the
pupil's record; everything sent to a guardian, on the guardian's page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog
from messaging.models import Message
from schools.models import Guardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


def message(school, guardian, *, student, template_type="PAYMENT_RECEIPT"):
    return Message.objects.create(
        school=school,
        guardian=guardian,
        student=student,
        channel="sms",
        template_type=template_type,
        to_address=guardian.phone,
        body="Hello",
        idempotency_key=f"k{Message.objects.count()}",
        created_at=datetime.datetime.now(tz=datetime.UTC),
    )


@pytest.fixture
def family(school):
    """GFA/0001 and a brother, with the same mother."""
    pupil = school.students.get(admission_number="GFA/0001")
    mother = pupil.guardian_links.get().guardian
    brother = f.StudentFactory(school=school, first_name="Brother")
    f.link(brother, mother)
    return pupil, brother, mother


def test_the_pupils_messages_are_theirs_and_the_familys_general_ones(
    school, other_school, bursar, verified_client, family
):
    pupil, brother, mother = family
    about_pupil = message(school, mother, student=pupil, template_type="OVERDUE_NOTICE")
    announcement = message(school, mother, student=None, template_type="ANNOUNCEMENT")
    about_brother = message(school, mother, student=brother, template_type="WELCOME")
    riverside = Guardian.objects.for_school(other_school).get()
    message(other_school, riverside, student=other_school.students.get(), template_type="RESULT_READY")

    response = verified_client(bursar).get(f"/s/greenfield/students/{pupil.pk}/messages/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f"/messages/{about_pupil.pk}/" in body and f"/messages/{announcement.pk}/" in body
    assert f"/messages/{about_brother.pk}/" not in body and "Welcome" not in body and "Results ready" not in body
    assert AuditLog.objects.filter(action="student.viewed", target_id=str(pupil.pk)).count() == 1


def test_the_guardians_messages_tab_has_everything_sent_to_them(school, bursar, verified_client, family):
    pupil, brother, mother = family
    sent = [message(school, mother, student=child) for child in (pupil, brother, None)]
    other = f.GuardianFactory(school=school)
    not_theirs = message(school, other, student=None)
    response = verified_client(bursar).get(f"/s/greenfield/guardians/{mother.pk}/messages/")
    body = response.content.decode()
    assert response.status_code == 200
    assert all(f"/messages/{m.pk}/" in body for m in sent) and f"/messages/{not_theirs.pk}/" not in body
    assert "about Brother" in body


def test_without_messaging_send_neither_tab_shows_nor_opens(school, teacher, verified_client, family):
    pupil, _brother, mother = family
    client = verified_client(teacher)
    assert client.get(f"/s/greenfield/students/{pupil.pk}/messages/").status_code == 403
    assert client.get(f"/s/greenfield/guardians/{mother.pk}/messages/").status_code == 403
    assert "/messages/" not in client.get(f"/s/greenfield/students/{pupil.pk}/").content.decode().split("<main", 1)[1]


def test_another_schools_pupil_and_guardian_are_404(school, other_school, bursar, verified_client):
    client = verified_client(bursar)
    foreign_pupil = other_school.students.get()
    foreign_guardian = Guardian.objects.for_school(other_school).get()
    assert client.get(f"/s/greenfield/students/{foreign_pupil.pk}/messages/").status_code == 404
    assert client.get(f"/s/greenfield/guardians/{foreign_guardian.pk}/messages/").status_code == 404


def test_the_messages_tabs_ask_the_same_number_of_queries_however_many_messages(
    school, bursar, verified_client, family
):
    pupil, brother, mother = family
    client = verified_client(bursar)
    urls = (f"/s/greenfield/students/{pupil.pk}/messages/", f"/s/greenfield/guardians/{mother.pk}/messages/")
    message(school, mother, student=pupil)
    for address in urls:
        client.get(address)

    def counts():
        found = []
        for address in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(address).status_code == 200
            found.append(len(queries))
        return found

    few = counts()
    for child in (pupil, brother, None) * 4:
        message(school, mother, student=child)
    assert counts() == few
