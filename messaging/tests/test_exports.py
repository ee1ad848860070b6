"""The message log as a CSV file: every message its filters find, with the words sent, formula-safe,
streamed in constant queries and written to the access log."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.csv_testing import as_dicts, read_download
from classpoint.models import AuditLog
from messaging.models import Message
from schools.models import Guardian

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/messages/"
AT = datetime.datetime(2026, 11, 20, 8, 15, tzinfo=datetime.UTC)


def _messages(
    school, n, *, start=0, status=Message.Status.DELIVERED, channel="sms", body="Thank you for your payment."
):
    guardian = Guardian.objects.for_school(school).first()
    student = guardian.student_links.first().student
    return Message.objects.bulk_create(
        [
            Message(
                school=school,
                guardian=guardian,
                student=student,
                channel=channel,
                template_type="PAYMENT_RECEIPT",
                to_address=guardian.phone if channel == "sms" else guardian.email,
                body=body,
                status=status,
                status_reason="Delivered (log)." if status == Message.Status.DELIVERED else "No SMS consent.",
                idempotency_key=f"{school.slug}-{start + i}",
                created_at=AT,
                sent_at=AT if status == Message.Status.DELIVERED else None,
            )
            for i in range(n)
        ]
    )


def test_admin_exports_the_filtered_log_with_the_words_sent(school, alice, verified_client):
    # given delivered messages and one suppressed for lack of consent
    _messages(school, 2)
    _messages(school, 1, start=10, status=Message.Status.SUPPRESSED, body="Balance ₦25,000 due")
    # when the admin exports the suppressed ones
    rows = read_download(verified_client(alice).get(URL, {"status": "suppressed", "format": "csv"}))
    # then the file holds that message, its reason and its words, in the school's time
    assert rows[0] == [
        "Created",
        "Guardian",
        "To",
        "Channel",
        "Type",
        "About (student)",
        "Admission number",
        "Status",
        "Reason",
        "Subject",
        "Message",
        "Sent",
        "Delivered",
    ]
    (row,) = as_dicts(rows)
    guardian = Guardian.objects.for_school(school).first()
    assert row["Guardian"] == f"{guardian.first_name} {guardian.last_name}" and row["To"] == "'" + guardian.phone
    assert (row["Status"], row["Reason"], row["Message"]) == ("Suppressed", "No SMS consent.", "Balance ₦25,000 due")
    assert row["Admission number"] == "GFA/0001" and row["Created"] == "2026-11-20 09:15"
    delivered = as_dicts(read_download(verified_client(alice).get(URL, {"status": "delivered", "format": "csv"})))
    assert len(delivered) == 2 and delivered[0]["Reason"] == ""  # a success's reason only restates it


def test_bodies_a_spreadsheet_would_run_are_neutralised(school, alice, verified_client):
    _messages(school, 1, body="@SUM(1+1)*cmd|' /C calc'!A0")
    (row,) = as_dicts(read_download(verified_client(alice).get(URL, {"format": "csv"})))
    assert row["Message"] == "'@SUM(1+1)*cmd|' /C calc'!A0"


def test_the_export_takes_the_same_queries_for_50_or_500_messages(school, alice, verified_client):
    client = verified_client(alice)
    client.get(URL)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = read_download(client.get(URL, {"format": "csv"}))
        return len(captured), len(rows)

    _messages(school, 50)
    few, few_rows = queries()
    _messages(school, 450, start=50)
    many, many_rows = queries()
    assert (few_rows, many_rows) == (51, 501)
    assert many == few


def test_the_file_is_in_the_access_log_and_holds_no_other_school(school, other_school, alice, verified_client):
    _messages(school, 2)
    _messages(other_school, 3)
    rows = as_dicts(read_download(verified_client(alice).get(URL, {"channel": "sms", "format": "csv"})))
    assert len(rows) == 2 and {r["Admission number"] for r in rows} == {"GFA/0001"}
    entry = AuditLog.objects.for_school(school).get(action="messages.exported")
    assert entry.actor == alice
    assert entry.changes == {"via": "export", "filters": {"channel": "sms"}, "rows": 2}


def test_refused_without_messaging_send_and_404_for_another_school(school, charlie, teacher, verified_client):
    assert verified_client(charlie).get(URL, {"format": "csv"}).status_code == 404
    assert verified_client(teacher).get(URL, {"format": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(action="messages.exported").exists()


def test_the_log_links_to_the_export_with_its_filters(school, alice, verified_client):
    _messages(school, 1)
    html = verified_client(alice).get(URL, {"channel": "sms", "page": "1"}).content.decode()
    assert 'href="?channel=sms&amp;format=csv" download>Export CSV' in html
