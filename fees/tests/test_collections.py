import csv
import datetime
import io

import pytest
from django.core.management import call_command

from classpoint.models import OutboxEvent
from fees.collections import overdue_scan
from fees.models import Invoice

from .test_batches import term_with_schedule  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(school, bursar, term_with_schedule):
    from classpoint.outbox import worker
    from fees import batches

    term, _ = term_with_schedule
    batches.invoice_batch_create(school=school, actor=bursar, term=term)
    worker.drain()
    invoices = Invoice.objects.for_school(school)
    invoices.update(due_date=datetime.date(2026, 10, 1))
    return invoices


def test_scan_marks_overdue_and_reminds_once_per_interval(school, issued, settings):
    settings.OVERDUE_REMINDER_DAYS = 7
    day = datetime.date(2026, 11, 2)
    paid = issued.first()
    Invoice.objects.filter(pk=paid.pk).update(paid_minor=paid.total_minor, status="paid")
    assert overdue_scan(school=school, today=day) == (5, 5)
    assert overdue_scan(school=school, today=day) == (0, 0)  # safe to run twice
    assert overdue_scan(school=school, today=day + datetime.timedelta(days=3)) == (0, 0)  # same interval
    assert overdue_scan(school=school, today=day + datetime.timedelta(days=7))[1] == 5  # next interval
    assert OutboxEvent.objects.filter(event_type="invoice.overdue").count() == 10
    assert not Invoice.objects.get(pk=paid.pk).is_overdue


def test_overdue_scan_command(school, issued, capsys):
    call_command("overdue_scan", "--school", "greenfield", "--date", "2026-11-02")
    assert "greenfield: 6 newly overdue, 6 reminders requested" in capsys.readouterr().out


def test_defaulters_api_filters_and_totals(school, bursar, api, issued):
    api.force_authenticate(bursar)
    body = api.get("/api/v1/schools/greenfield/defaulters/?min_days_overdue=1").json()
    assert body["count"] == 6 and body["results"][0]["days_overdue"] > 0
    assert body["totals_by_class"][0]["outstanding"] == 6 * 7_000_000
    assert api.get("/api/v1/schools/greenfield/defaulters/?min_amount_due=8000000").json()["count"] == 0
    bad = api.get("/api/v1/schools/greenfield/defaulters/?min_days_overdue=-3")
    assert bad.status_code == 400 and "min_days_overdue" in bad.json()["error"]["fields"]


def test_defaulters_page_and_formula_safe_csv(school, bursar, verified_client, issued):
    from schools.models import Student

    Student.objects.filter(school=school).update(first_name="=cmd|' /C calc'!A0")
    client = verified_client(bursar)
    page = client.get("/s/greenfield/fees/defaulters/")
    assert page.status_code == 200 and "Outstanding by class" in page.content.decode()
    response = client.get("/s/greenfield/fees/defaulters/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Invoice" and len(rows) == 7
    assert all(row[1].startswith("'=") for row in rows[1:])
    assert rows[1][4] == "70000.00"  # a plain number a spreadsheet can sum


def test_backfill_invoice_classgroup(school, issued, capsys):
    target = issued.first()
    Invoice.objects.filter(pk=target.pk).update(class_group=None)
    call_command("backfill_invoice_classgroup", "--school", "greenfield", "--dry-run")
    assert Invoice.objects.get(pk=target.pk).class_group_id is None
    call_command("backfill_invoice_classgroup", "--school", "greenfield")
    assert Invoice.objects.get(pk=target.pk).class_group_id is not None
    out = capsys.readouterr().out
    assert "greenfield: would fill 1" in out and "greenfield: filled 1" in out
