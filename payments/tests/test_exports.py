"""The payments and receipts lists: filters, pages, and their CSV files (every row the filters find,
formula-safe, streamed in constant queries, written to the access log)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.csv_testing import as_dicts, read_download
from classpoint.models import AuditLog
from fees.models import Invoice
from payments.models import PaymentTransaction, Receipt
from schools.models import Membership, Role, Student
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
PAYMENTS = "/s/greenfield/payments/"
RECEIPTS = "/s/greenfield/payments/receipts/"
AT = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)


def _payments(school, n, *, start=0, kind="cash", status="confirmed", receipted=True, at=AT):
    """`n` pupils, each with an issued invoice and one payment (and its receipt when `receipted`)."""
    term, group = school.current_term(), school.class_groups.first()
    tag = school.slug[:3].upper()
    students = Student.objects.bulk_create(
        [
            Student(
                school=school, admission_number=f"{tag}{start + i:05d}", first_name=f"Kid{start + i}", last_name="Payer"
            )
            for i in range(n)
        ]
    )
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                school=school,
                number=f"INV-{tag}-{start + i:05d}",
                student=s,
                term=term,
                class_group=group,
                currency="NGN",
                status="partially_paid",
                subtotal_minor=5_000_000,
                total_minor=5_000_000,
                paid_minor=1_000_050,
            )
            for i, s in enumerate(students)
        ]
    )
    payments = PaymentTransaction.objects.bulk_create(
        [
            PaymentTransaction(
                school=school,
                invoice=invoice,
                kind=kind,
                gateway="pos" if kind == "pos" else "",
                provider_reference=f"SLIP-{tag}-{start + i}" if kind == "pos" else None,
                amount_minor=1_000_050,
                currency="NGN",
                status=status,
                created_at=at,
                confirmed_at=at if status == "confirmed" else None,
            )
            for i, invoice in enumerate(invoices)
        ]
    )
    if receipted:
        Receipt.objects.bulk_create(
            [
                Receipt(
                    school=school,
                    transaction=tx,
                    number=f"RCT-{tag}-{start + i:05d}",
                    amount_minor=1_000_050,
                    currency="NGN",
                    issued_at=at,
                )
                for i, tx in enumerate(payments)
            ]
        )
    return payments


def test_bursar_lists_and_exports_the_filtered_payments(school, bursar, verified_client):
    # given cash payments and one POS payment on another day
    _payments(school, 2)
    _payments(school, 1, start=10, kind="pos", at=AT + datetime.timedelta(days=3))
    client = verified_client(bursar)
    # when the bursar filters to POS and exports
    page = client.get(PAYMENTS, {"kind": "pos"})
    assert page.status_code == 200 and page.context["page"].paginator.count == 1
    assert "SLIP-GRE-10" in page.content.decode()
    rows = read_download(client.get(PAYMENTS, {"kind": "pos", "format": "csv"}))
    # then the file holds that payment alone, as a spreadsheet sums it
    (row,) = as_dicts(rows)
    assert rows[0][:3] == ["Recorded", "Confirmed", "Invoice"]
    assert row["Invoice"] == "INV-GRE-00010" and row["Student"] == "Kid10 Payer" and row["Method"] == "POS"
    assert (row["Reference"], row["Amount"], row["Currency"], row["Receipt"]) == (
        "SLIP-GRE-10",
        "10000.50",
        "NGN",
        "RCT-GRE-00010",
    )
    assert row["Recorded"] == "2026-11-05 10:30"  # the school's time (Lagos)
    by_day = as_dicts(read_download(client.get(PAYMENTS, {"date_to": "2026-11-02", "format": "csv"})))
    assert {r["Method"] for r in by_day} == {"Cash"} and len(by_day) == 2


def test_receipts_list_filters_and_exports(school, bursar, verified_client):
    payments = _payments(school, 3)
    Receipt.objects.filter(transaction=payments[1]).update(is_void=True)
    client = verified_client(bursar)
    assert client.get(RECEIPTS, {"state": "void"}).context["page"].paginator.count == 1
    rows = read_download(client.get(RECEIPTS, {"state": "void", "format": "csv"}))
    (row,) = as_dicts(rows)
    assert row["Receipt"] == "RCT-GRE-00001" and row["Void"] == "Yes" and row["Amount"] == "10000.50"
    searched = as_dicts(read_download(client.get(RECEIPTS, {"q": "kid2", "format": "csv"})))
    assert [r["Admission number"] for r in searched] == ["GRE00002"]


def test_payment_notes_a_spreadsheet_would_run_are_neutralised(school, bursar, verified_client):
    (payment,) = _payments(school, 1)
    PaymentTransaction.objects.filter(pk=payment.pk).update(note='=HYPERLINK("http://evil.test")')
    (row,) = as_dicts(read_download(verified_client(bursar).get(PAYMENTS, {"format": "csv"})))
    assert row["Note"] == '\'=HYPERLINK("http://evil.test")'


@pytest.mark.parametrize("url", [PAYMENTS, RECEIPTS])
def test_pages_and_files_take_the_same_queries_for_50_or_500_rows(school, bursar, verified_client, url):
    client = verified_client(bursar)
    client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as page:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as export:
            rows = read_download(client.get(url, {"format": "csv"}))
        return len(page), len(export), len(rows)

    _payments(school, 50)
    few = queries()
    _payments(school, 450, start=50)
    many = queries()
    assert (few[2], many[2]) == (51, 501)
    assert many[:2] == few[:2]


@pytest.mark.parametrize("url, export", [(PAYMENTS, "payments"), (RECEIPTS, "receipts")])
def test_each_file_is_in_the_access_log_and_holds_no_other_school(
    school, other_school, bursar, verified_client, url, export
):
    _payments(school, 2)
    _payments(other_school, 2, start=100)
    rows = as_dicts(read_download(verified_client(bursar).get(url, {"date_from": "2026-11-01", "format": "csv"})))
    assert {r["Admission number"] for r in rows} == {"GRE00000", "GRE00001"}
    entry = AuditLog.objects.for_school(school).get(action=f"{export}.exported")
    assert entry.actor == bursar
    assert entry.changes == {"via": "export", "filters": {"date_from": "2026-11-01"}, "rows": 2}


@pytest.mark.parametrize("url", [PAYMENTS, RECEIPTS])
def test_refused_without_payments_view_and_404_for_another_school(school, charlie, verified_client, url):
    assert verified_client(charlie).get(url, {"format": "csv"}).status_code == 404
    role = Role.objects.create(school=school, key="reader", name="Reader", permissions=["students.view"])
    reader = f.UserFactory(username="reader@greenfield.test")
    Membership.objects.create(school=school, user=reader, role=role)
    assert verified_client(reader).get(url).status_code == 403
    assert verified_client(reader).get(url, {"format": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(action__endswith=".exported").exists()


def test_a_bad_date_is_a_field_error_not_a_failure(school, bursar, verified_client):
    _payments(school, 1)
    page = verified_client(bursar).get(PAYMENTS, {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert page.status_code == 200 and "“To” is before “From”." in page.content.decode()


def test_the_lists_link_to_their_exports_with_their_filters(school, bursar, verified_client):
    _payments(school, 1)
    client = verified_client(bursar)
    html = client.get(PAYMENTS, {"status": "confirmed", "page": "1"}).content.decode()
    assert 'href="?status=confirmed&amp;format=csv" download>Export CSV' in html
    fragment = client.get(RECEIPTS, {"q": "kid"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'href="?q=kid&amp;format=csv"' in fragment
    invoices = client.get("/s/greenfield/fees/invoices/").content.decode()
    assert 'href="/s/greenfield/payments/"' in invoices and 'href="/s/greenfield/payments/receipts/"' in invoices
