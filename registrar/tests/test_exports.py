"""The registrar's board as a CSV file: every application its filters find (every column, not the
first cards), with the families' contacts, formula-safe, streamed and written to the access log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.csv_testing import as_dicts, read_download
from classpoint.models import AuditLog
from registrar.models import Application, ApplicationGuardian
from schools.tests import factories as f

from . import factories as rf

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/registrar/"


def _many(school, n, *, start=0):
    """`n` applications written in bulk (the submit service has its own tests), each with a guardian."""
    first = rf.submit(school, child=rf.applicant(first_name=f"Bulk{start}"))
    guardian = first.guardians.get().guardian
    apps = Application.objects.bulk_create(
        [
            Application(
                school=school,
                reference=f"B{start + i:06d}",
                first_name=f"Bulk{start + i}",
                last_name="Applicant",
                date_of_birth=first.date_of_birth,
                gender="female",
                class_level="JSS 1",
            )
            for i in range(1, n)
        ]
    )
    ApplicationGuardian.objects.bulk_create(
        [
            ApplicationGuardian(
                school=school, application=a, guardian=guardian, first_name="Amina", last_name="Bello", is_primary=True
            )
            for a in apps
        ]
    )


def test_registrar_exports_the_filtered_applications_with_the_families_contacts(school, registrar, verified_client):
    # given an application from two guardians, and one for another class
    f.ClassGroupFactory(school=school, name="JSS 2A", level="JSS 2")
    mother = rf.guardian(first_name="Ngozi", relationship="Mother", email="ngozi@example.ng")
    father = rf.guardian(first_name="Emeka", relationship="Father")
    wanted = rf.submit(
        school, child=rf.applicant(first_name="Chiamaka", class_level="JSS 2"), guardians=[mother, father]
    )
    rf.submit(school, child=rf.applicant(first_name="Tunde", class_level="JSS 1"))
    # when the registrar exports the board filtered to JSS 2
    rows = read_download(verified_client(registrar).get(URL, {"class_level": "JSS 2", "format": "csv"}))
    # then the file is that application, the primary guardian first
    (row,) = as_dicts(rows)
    assert rows[0][:4] == ["Reference", "Status", "Submitted", "First name"]
    assert rows[0][-10:-5] == [f"Guardian 1 {s}" for s in ("first name", "last name", "relationship", "phone", "email")]
    assert row["Reference"] == wanted.reference and row["First name"] == "Chiamaka" and row["Status"] == "Pending"
    assert row["Class sought"] == "JSS 2" and row["Date of birth"] == "2014-03-21"
    assert row["Guardian 1 first name"] == wanted.guardians.get(is_primary=True).first_name
    assert {row["Guardian 1 first name"], row["Guardian 2 first name"]} == {"Ngozi", "Emeka"}
    assert "ngozi@example.ng" in (row["Guardian 1 email"], row["Guardian 2 email"])


def test_the_export_holds_every_application_not_the_first_cards_of_a_column(school, registrar, verified_client):
    _many(school, 30)  # more than a column's first page of cards
    rows = as_dicts(read_download(verified_client(registrar).get(URL, {"status": "pending", "format": "csv"})))
    assert len(rows) == 30


def test_names_a_spreadsheet_would_run_are_neutralised(school, registrar, verified_client):
    rf.submit(school, child=rf.applicant(first_name='=HYPERLINK("http://evil.test")'))
    (row,) = as_dicts(read_download(verified_client(registrar).get(URL, {"format": "csv"})))
    assert row["First name"] == '\'=HYPERLINK("http://evil.test")'


def test_the_export_takes_the_same_queries_for_50_or_500_applications(school, registrar, verified_client):
    client = verified_client(registrar)
    client.get(URL)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = read_download(client.get(URL, {"format": "csv"}))
        return len(captured), len(rows)

    _many(school, 50)
    few, few_rows = queries()
    _many(school, 450, start=1000)
    many, many_rows = queries()
    assert (few_rows, many_rows) == (51, 501)
    assert many == few


def test_the_file_is_in_the_access_log_and_holds_no_other_school(school, other_school, registrar, verified_client):
    rf.submit(school, child=rf.applicant(first_name="Ours"))
    rf.submit(other_school, child=rf.applicant(first_name="Theirs"))
    rows = as_dicts(read_download(verified_client(registrar).get(URL, {"q": "bello", "format": "csv"})))
    assert [r["First name"] for r in rows] == ["Ours"]
    entry = AuditLog.objects.for_school(school).get(action="applications.exported")
    assert entry.actor == registrar
    assert entry.changes == {"via": "export", "filters": {"q": "bello"}, "rows": 1}


def test_refused_without_the_registrar_permission_and_404_for_another_school(school, charlie, teacher, verified_client):
    assert verified_client(charlie).get(URL, {"format": "csv"}).status_code == 404
    assert verified_client(teacher).get(URL, {"format": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(action="applications.exported").exists()


def test_the_board_links_to_the_export_with_its_filters(school, registrar, verified_client):
    client = verified_client(registrar)
    html = client.get(URL, {"class_level": "JSS 1", "missing": "1"}).content.decode()
    assert 'href="/s/greenfield/registrar/?class_level=JSS+1&amp;missing=1&amp;format=csv" download>Export CSV' in html
    columns = client.get(URL, {"status": "pending"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board").content.decode()
    assert 'href="/s/greenfield/registrar/?status=pending&amp;format=csv"' in columns
