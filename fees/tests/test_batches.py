import pytest

from classpoint.models import OutboxEvent
from classpoint.outbox import worker
from fees import batches, services
from fees.models import Invoice
from schools.models import ClassGroup, Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def term_with_schedule(school, bursar):
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
        f.enroll(
            Student.objects.create(school=school, admission_number=f"B{i}", first_name="B", last_name=str(i)),
            term,
            group,
        )
    return term, group


def test_bulk_invoicing_issues_numbered_invoices_and_rerun_skips(school, bursar, term_with_schedule):
    term, group = term_with_schedule
    unscheduled = ClassGroup.objects.create(school=school, name="SS 3A", level="SS 3")
    f.enroll(
        Student.objects.create(school=school, admission_number="Z1", first_name="Z", last_name="Z"), term, unscheduled
    )
    batch = batches.invoice_batch_create(school=school, actor=bursar, term=term)
    worker.drain()
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.failed_count, batch.total) == ("succeeded", 6, 1, 7)
    invoices = Invoice.objects.for_school(school)
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in invoices.values_list("number", flat=True))
    assert numbers == list(range(1, 7)) and set(invoices.values_list("status", flat=True)) == {"issued"}
    assert invoices.first().lines.count() == 1
    assert OutboxEvent.objects.filter(event_type="invoice.issued").count() == 6
    again = batches.invoice_batch_create(school=school, actor=bursar, term=term, class_group=group)
    worker.drain()
    again.refresh_from_db()
    assert (again.created_count, again.skipped_count) == (0, 6)
    assert invoices.count() == 6


def test_batch_pages_show_progress(school, bursar, verified_client, term_with_schedule):
    client = verified_client(bursar)
    assert client.get("/s/greenfield/fees/batches/new/").status_code == 200
    term, group = term_with_schedule
    response = client.post(
        "/s/greenfield/fees/batches/new/", {"term": term.pk, "class_group": group.pk, "confirm": "1"}
    )
    assert response.status_code == 302
    waiting = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    worker.drain()
    done = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "Finished" in done and "hx-trigger" not in done


def test_batch_for_another_schools_term_is_refused(school, other_school, bursar, verified_client):
    response = verified_client(bursar).post("/s/greenfield/fees/batches/new/", {"term": other_school.current_term().pk})
    assert response.status_code == 400
