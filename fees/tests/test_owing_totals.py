"""The defaulters' running totals (PostgreSQL triggers) always equal the invoices they summarise,
whatever writes the invoices: single and bulk invoicing, payments, reversals, voids, awards,
instalment plans, the overdue scan, plain queryset updates."""

import datetime
import random

import pytest
from django.core.management import call_command

from classpoint.outbox import worker
from fees import services
from fees.collections import defaulter_totals, defaulters, overdue_scan, owing_totals_compact, totals_by_class
from fees.models import Invoice, OwingDelta
from payments import services as payments
from schools.tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def term_with_fees(school, bursar):
    term = school.current_term()
    item = services.fee_item_create(school=school, actor=bursar, code="tuition", name="Tuition")
    for name in ("JSS 1B", "JSS 2A"):
        group = f.ClassGroupFactory(school=school, name=name)
        for n in range(3):
            student = f.StudentFactory(school=school, admission_number=f"{name}/{n}")
            f.enroll(student, term, group)
    for group in school.class_groups.all():
        due = term.start_date + datetime.timedelta(days=group.pk % 3)
        line = {"fee_item": item, "amount_minor": 5_000_000, "due_date": due}
        services.fee_schedule_create(
            school=school, actor=bursar, term=term, class_group=group, name=group.name, lines=[line]
        )
    return term


def assert_totals_match(school, today, **filters):
    rows = defaulters(school=school, today=today, **filters)
    assert defaulter_totals(school=school, rows=rows, today=today, **filters) == totals_by_class(rows), filters


def test_running_totals_follow_every_kind_of_invoice_write(school, other_school, bursar, term_with_fees):
    term, today = term_with_fees, school.local_today()
    students = list(school.students.order_by("pk"))
    single = services.invoice_issue(
        invoice=services.invoice_create(school=school, actor=bursar, student=students[0], term=term), actor=bursar
    )
    from fees.batches import invoice_batch_create

    invoice_batch_create(school=school, actor=bursar, term=term, class_group=None)
    worker.drain()  # the batch runs through the outbox
    assert Invoice.objects.for_school(school).filter(status="issued").count() == len(students)
    assert_totals_match(school, today)

    invoices = list(Invoice.objects.for_school(school).order_by("pk"))
    rng = random.Random(4)
    tx = payments.transaction_record(
        invoice=invoices[1], kind="cash", amount_minor=2_000_000, currency="NGN", actor=bursar
    )
    payments.transaction_record(invoice=invoices[2], kind="cash", amount_minor=5_000_000, currency="NGN", actor=bursar)
    payments.transaction_record(invoice=invoices[3], kind="cash", amount_minor=9_000_000, currency="NGN", actor=bursar)
    worker.drain()
    assert_totals_match(school, today)
    payments.transaction_reverse(transaction_id=tx.pk, school=school, actor=bursar, reason="bounced")
    worker.drain()
    draft = Invoice.objects.for_school(school).get(pk=invoices[4].pk)
    services.invoice_void(invoice=draft, actor=bursar, reason="left the school")
    Invoice.objects.filter(pk=invoices[5].pk).update(due_date=today + datetime.timedelta(days=30))  # re-dated
    Invoice.objects.filter(pk=invoices[6].pk).update(class_group=None)  # a plain update, no model save
    overdue_scan(school=school, today=today)
    for filters in (
        {},
        {"term_id": term.pk},
        {"class_group_id": invoices[-1].class_group_id},
        {"min_days_overdue": rng.choice([1, 30, 90])},
    ):
        assert_totals_match(school, today, **filters)
    assert single.pk in {i.pk for i in invoices}

    # Compaction folds the rows and changes no total; nothing leaks to another school.
    before, after = owing_totals_compact()
    assert after < before and after == OwingDelta.objects.count()
    assert_totals_match(school, today)
    assert not OwingDelta.objects.for_school(other_school).exists()


def test_compaction_command_reports_and_is_safe_to_repeat(school, bursar, term_with_fees, capsys):
    services.invoice_issue(
        invoice=services.invoice_create(
            school=school, actor=bursar, student=school.students.first(), term=term_with_fees
        ),
        actor=bursar,
    )
    call_command("compact_owing_totals")
    call_command("compact_owing_totals")
    out = capsys.readouterr().out
    assert "folded into 1" in out
    assert OwingDelta.objects.count() == 1
