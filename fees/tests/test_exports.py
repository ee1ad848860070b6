"""The invoices list as a CSV file (every invoice its filters find, amounts as plain numbers), and the
defaulters' file written to the access log."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.csv_testing import as_dicts, read_download
from classpoint.models import AuditLog
from fees.models import Invoice
from schools.models import Membership, Role, Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


def _invoices(school, n, *, start=0, status=Invoice.Status.ISSUED, paid=0, group=None):
    term, group = school.current_term(), group or school.class_groups.first()
    students = Student.objects.bulk_create(
        [
            Student(
                school=school, admission_number=f"INV{start + i:05d}", first_name=f"Kid{start + i}", last_name="Billed"
            )
            for i in range(n)
        ]
    )
    return Invoice.objects.bulk_create(
        [
            Invoice(
                school=school,
                number=f"{school.slug[:3].upper()}-{start + i:05d}",
                student=s,
                term=term,
                class_group=group,
                currency="NGN",
                status=status,
                subtotal_minor=5_000_000,
                total_minor=5_000_000,
                paid_minor=paid,
                issue_date=datetime.date(2026, 9, 10),
                due_date=datetime.date(2026, 10, 1),
            )
            for i, s in enumerate(students)
        ]
    )


@pytest.fixture
def url(school):
    from django.urls import reverse

    return reverse("invoices-list", args=[school.slug])


def test_bursar_exports_the_filtered_invoices_with_plain_amounts(school, bursar, verified_client, url):
    # given issued invoices and one paid in part
    _invoices(school, 2)
    (partly,) = _invoices(school, 1, start=10, status=Invoice.Status.PARTIALLY_PAID, paid=1_250_050)
    # when the bursar exports the part-paid ones
    rows = read_download(verified_client(bursar).get(url, {"status": "partially_paid", "format": "csv"}))
    # then the file is that invoice alone, amounts summable by a spreadsheet
    assert rows[0] == [
        "Invoice",
        "Student",
        "Admission number",
        "Class",
        "Term",
        "Status",
        "Overdue",
        "Issued",
        "Due",
        "Total",
        "Discount",
        "Paid",
        "Balance",
        "Currency",
    ]
    (row,) = as_dicts(rows)
    assert row["Invoice"] == partly.number and row["Student"] == "Kid10 Billed" and row["Status"] == "Partly paid"
    assert (row["Total"], row["Paid"], row["Balance"], row["Currency"]) == ("50000.00", "12500.50", "37499.50", "NGN")
    assert row["Class"] == school.class_groups.first().name and row["Term"].startswith("First term")
    assert (row["Issued"], row["Due"]) == ("2026-09-10", "2026-10-01")


def test_the_export_honours_the_search_like_the_list(school, bursar, verified_client, url):
    _invoices(school, 3)
    client = verified_client(bursar)
    found = as_dicts(read_download(client.get(url, {"q": "kid2", "format": "csv"})))
    assert [r["Admission number"] for r in found] == ["INV00002"]
    assert client.get(url, {"q": "kid2"}).context["page"].paginator.count == 1


def test_names_a_spreadsheet_would_run_are_neutralised(school, bursar, verified_client, url):
    (invoice,) = _invoices(school, 1)
    Student.objects.filter(pk=invoice.student_id).update(first_name="=cmd|'/C calc'!A0")
    (row,) = as_dicts(read_download(verified_client(bursar).get(url, {"format": "csv"})))
    assert row["Student"].startswith("'=cmd")


def test_the_export_takes_the_same_queries_for_50_or_500_invoices(school, bursar, verified_client, url):
    client = verified_client(bursar)
    client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = read_download(client.get(url, {"format": "csv"}))
        return len(captured), len(rows)

    _invoices(school, 50)
    few, few_rows = queries()
    _invoices(school, 450, start=50)
    many, many_rows = queries()
    assert (few_rows, many_rows) == (51, 501)
    assert many == few


def test_the_export_is_in_the_access_log_and_shows_no_other_school(school, other_school, bursar, verified_client, url):
    _invoices(school, 2)
    _invoices(other_school, 2, start=100)
    rows = read_download(verified_client(bursar).get(url, {"overdue": "1", "format": "csv"}))
    assert len(rows) == 1  # none is overdue yet: the filter holds
    rows = read_download(verified_client(bursar).get(url, {"format": "csv"}))
    assert {r["Invoice"] for r in as_dicts(rows)} == {"GRE-00000", "GRE-00001"}
    entries = AuditLog.objects.for_school(school).filter(action="invoices.exported", actor=bursar)
    assert [e.changes for e in entries.order_by("id")] == [
        {"via": "export", "filters": {"overdue": "True"}, "rows": 0},
        {"via": "export", "filters": {}, "rows": 2},
    ]


def test_refused_without_fees_view_and_404_for_another_school(school, charlie, verified_client, url):
    assert verified_client(charlie).get(url, {"format": "csv"}).status_code == 404
    role = Role.objects.create(school=school, key="reader", name="Reader", permissions=["students.view"])
    reader = f.UserFactory(username="reader@greenfield.test")
    Membership.objects.create(school=school, user=reader, role=role)
    assert verified_client(reader).get(url, {"format": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(action="invoices.exported").exists()


def test_the_list_links_to_the_export_with_its_filters(school, bursar, verified_client, url):
    _invoices(school, 1)
    html = verified_client(bursar).get(url, {"status": "issued", "page": "1"}).content.decode()
    assert 'href="?status=issued&amp;format=csv" download>Export CSV' in html


def test_taking_the_defaulters_file_is_in_the_access_log(school, bursar, verified_client):
    _invoices(school, 1)
    rows = read_download(verified_client(bursar).get("/s/greenfield/fees/defaulters/", {"format": "csv"}))
    assert rows[0][0] == "Invoice"
    entry = AuditLog.objects.for_school(school).get(action="defaulters.exported")
    assert entry.actor == bursar and entry.changes["via"] == "export"
