"""The invoice notices payments asks for on fees' events (`invoice.issued`, `invoice.overdue`): each
guardian's message carries their own secure pay link."""

import datetime

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
    assert context["invoice_number"] == issued_invoice.number
    # typed, for messaging to write in each guardian's language
    assert context["amount_due"] == {"money": [issued_invoice.balance_minor, issued_invoice.currency]}
    assert context["due_date"] == {"date": issued_invoice.due_date.isoformat()}


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


# --- In the guardian's language, and without a pay link when the school takes none online -------

SPANISH_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()


@pytest.fixture
def noon(school, monkeypatch):
    from messaging import pipeline

    moment = datetime.datetime.combine(school.local_today(), datetime.time(12), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: moment)
    return moment


def _reads(guardian, language, channel):
    guardian.__class__.objects.filter(pk=guardian.pk).update(
        preferred_language=language, preferred_channel=channel, consent_sms=True, consent_whatsapp=True
    )


def test_a_spanish_guardians_invoice_notice_writes_the_amount_and_due_date_in_spanish(
    school, bursar, noon, django_capture_on_commit_callbacks
):
    # given a guardian who reads Spanish on WhatsApp, and one who reads English
    student = school.students.get(admission_number="GFA/0001")
    spanish = student.guardian_links.get().guardian
    english = f.GuardianFactory(school=school, first_name="Bola", phone="+2348030000002")
    f.link(student, english, primary=False)
    _reads(spanish, "es", "whatsapp")
    _reads(english, "en", "whatsapp")
    # when an invoice of ₦100,000.00 due on a known day is issued
    with django_capture_on_commit_callbacks(execute=True):
        invoice = _issue(school, bursar, student)
        drain()
    due = invoice.due_date
    # then each reads the amount and the day as their language writes them
    notices = Message.objects.filter(school=school, template_type="INVOICE_ISSUED")
    spanish_body = notices.get(guardian=spanish).body
    assert "Total a pagar: *₦100.000,00*" in spanish_body
    assert f"Fecha de vencimiento: {due.day} de {SPANISH_MONTHS[due.month - 1]} de {due.year}" in spanish_body
    english_body = notices.get(guardian=english).body
    assert "Amount due: *₦100,000.00*" in english_body and f"Due date: {due.day} {due:%b %Y}" in english_body


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_without_online_payments_the_invoice_notice_prints_no_pay_line(
    school, bursar, noon, channel, django_capture_on_commit_callbacks
):
    from classpoint.models import FeatureFlag

    # given a school that switched online payments off
    FeatureFlag.objects.create(key="online_payments", school=school, enabled=False)
    student = school.students.get(admission_number="GFA/0001")
    guardian = student.guardian_links.get().guardian
    _reads(guardian, "en", channel)
    guardian.__class__.objects.filter(pk=guardian.pk).update(consent_email=True, email="ngozi@example.com")
    # when an invoice is issued
    with django_capture_on_commit_callbacks(execute=True):
        invoice = _issue(school, bursar, student)
        drain()
    # then the request carries no link and the message no "Pay:" with nothing after it
    (asked,) = requests("INVOICE_ISSUED")
    assert asked.payload["context"]["pay_link"] == ""
    message = Message.objects.get(school=school, template_type="INVOICE_ISSUED", channel=channel)
    assert message.status != "suppressed", message.status_reason
    assert invoice.number in message.body and "pay" not in message.body.lower().replace("payment", "")
    assert "\n\n\n" not in message.body and not message.body.endswith((":", ": "))


def _issue(school, actor, student):
    from fees import services as fees

    term, group = school.current_term(), school.class_groups.get()
    item = fees.fee_item_create(school=school, actor=actor, code="tuition", name="Tuition")
    fees.fee_schedule_create(
        school=school,
        actor=actor,
        term=term,
        class_group=group,
        name="JSS1",
        lines=[{"fee_item": item, "amount_minor": 10_000_000}],
    )
    draft = fees.invoice_create(school=school, actor=actor, student=student, term=term)
    return fees.invoice_issue(invoice=draft, actor=actor)
