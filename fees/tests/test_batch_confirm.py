"""Bulk invoicing asks before it issues: the first POST shows how many students would be
invoiced and for how much, and only the confirmed POST starts the batch."""

import pytest

from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from fees import services
from fees.models import Invoice, InvoiceBatch
from schools.models import ClassGroup, Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/s/greenfield/fees/batches/new/"


@pytest.fixture
def whole_school(school, bursar):
    """Greenfield's class with a 70,000.00 schedule and 6 pupils (one already invoiced), plus a
    class with no schedule and one pupil."""
    term, group = school.current_term(), school.class_groups.get()
    item = services.fee_item_create(school=school, actor=bursar, code="t", name="Tuition")
    services.fee_schedule_create(
        school=school,
        actor=bursar,
        term=term,
        class_group=group,
        name="S",
        lines=[{"fee_item": item, "amount_minor": 7_000_000}],
    )
    for i in range(5):
        student = Student.objects.create(school=school, admission_number=f"B{i}", first_name="B", last_name=str(i))
        f.enroll(student, term, group)
    services.invoice_issue(
        invoice=services.invoice_create(
            school=school, actor=bursar, student=school.students.get(admission_number="B0"), term=term
        ),
        actor=bursar,
    )
    unscheduled = ClassGroup.objects.create(school=school, name="SS 3A", level="SS 3")
    f.enroll(
        Student.objects.create(school=school, admission_number="Z1", first_name="Z", last_name="Z"), term, unscheduled
    )
    return term


def test_first_post_shows_count_and_total_and_creates_nothing(school, bursar, verified_client, whole_school):
    # given
    client = verified_client(bursar)
    events_before = OutboxEvent.objects.count()
    # when the bursar chooses "Whole school" and presses the button
    response = client.post(URL, {"term": whole_school.pk, "class_group": ""})
    # then a confirm step: 5 to invoice (the already-invoiced pupil skipped), their total, and nothing created
    page = response.content.decode()
    assert response.status_code == 200
    assert "5 students" in page and "₦350,000.00" in page
    assert "1 student already has an invoice" in page and "1 student has no fee schedule" in page
    assert 'name="confirm" value="1"' in page
    assert InvoiceBatch.objects.count() == 0 and Invoice.objects.for_school(school).count() == 1
    assert OutboxEvent.objects.count() == events_before


def test_confirmed_post_runs_the_batch(school, bursar, verified_client, whole_school):
    client = verified_client(bursar)
    response = client.post(URL, {"term": whole_school.pk, "class_group": "", "confirm": "1"})
    assert response.status_code == 302
    batch = InvoiceBatch.objects.for_school(school).get()
    assert response["Location"].endswith(f"/fees/batches/{batch.pk}/")
    worker.drain()
    batch.refresh_from_db()
    assert (batch.created_count, batch.skipped_count, batch.failed_count) == (5, 1, 1)
    assert Invoice.objects.for_school(school).filter(status="issued").count() == 6


def test_confirm_step_for_one_class_names_it(school, bursar, verified_client, whole_school):
    group = school.class_groups.get(name__startswith="GFA")
    page = verified_client(bursar).post(URL, {"term": whole_school.pk, "class_group": group.pk}).content.decode()
    assert group.name in page and "5 students" in page and InvoiceBatch.objects.count() == 0


def test_bad_choice_on_the_confirmed_post_creates_nothing(school, other_school, bursar, verified_client):
    response = verified_client(bursar).post(URL, {"term": other_school.current_term().pk, "confirm": "1"})
    assert response.status_code == 400 and InvoiceBatch.objects.count() == 0
