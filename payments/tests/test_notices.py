"""The invoice notices payments asks for on fees' events (`invoice.issued`, `invoice.overdue`): each
guardian's message carries their own secure pay link."""

import pytest

from classpoint.models import OutboxEvent
from classpoint.outbox import emit, worker
from fees.collections import overdue_scan
from fees.models import Invoice
from fees.tests.test_handlers import drain, riverside_invoice  # noqa: F401  (fixture)
from messaging.models import Message
from schools.tests import factories as f

from .test_payments import invoice as issued_invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def requests(template):
    return list(OutboxEvent.objects.filter(event_type="messaging.requested", payload__template=template))


def test_issuing_asks_for_invoice_issued_to_each_guardian_with_their_own_link(school, bursar, issued_invoice):
    second = f.GuardianFactory(school=school, first_name="Second")
    f.link(issued_invoice.student, second, primary=False)
    worker.drain()
    worker.drain()  # a redelivery changes nothing
    asked = requests("INVOICE_ISSUED")
    assert len(asked) == 2
    links = {r.payload["guardian_ids"][0]: r.payload["context"]["pay_link"] for r in asked}
    assert len(set(links.values())) == 2 and all("/payments/pay/" in link for link in links.values())
    context = asked[0].payload["context"]
    assert context["invoice_number"] == issued_invoice.number and context["amount_due"].startswith("₦")


def test_the_overdue_scan_asks_for_one_notice_per_overdue_invoice(school, bursar, issued_invoice):
    Invoice.objects.filter(pk=issued_invoice.pk).update(due_date=school.local_today().replace(day=1))
    worker.drain()
    overdue_scan(school=school)
    worker.drain()
    notice = requests("OVERDUE_NOTICE")
    assert len(notice) == 1
    assert notice[0].payload["context"]["invoices"][0]["invoice_number"] == issued_invoice.number


@pytest.mark.parametrize("event_type", ["invoice.issued", "invoice.overdue"])
def test_invoice_notice_of_one_school_naming_another_schools_invoice_messages_no_one(
    school, other_school, riverside_invoice, event_type
):
    # given Riverside's issued invoice, its own notice already sent
    drain()
    before = Message.objects.count()
    # when a Greenfield event asks for a notice about it
    emit(school=school, event_type=event_type, payload={"invoice_id": riverside_invoice.pk, "days_overdue": 3})
    drain()
    # then no guardian of either school is messaged
    assert Message.objects.count() == before
