"""The class broadsheet: the hand-computed class of test_results_cards.py laid out as pupils by
subjects, as a page, a formula-safe CSV and a landscape PDF.

Class figures by hand: overall totals 283.95, 230, 230 and 170 average 913.95/4 = 228.4875 -> 228.5;
averages 70.9875, 76.666.., 76.666.. and 56.666.. average 280.9875/4 = 70.246875 -> 70.2."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from academics.results import broadsheet
from schools.tests import factories as f

from .test_results_cards import fill_class

pytestmark = pytest.mark.django_db
D = Decimal


def sheet_url(results, slug="greenfield"):
    return f"/s/{slug}/results/cards/{results.term.pk}/{results.group.pk}/broadsheet/"


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_broadsheet_matches_the_hand_computation(school, results):
    adeyemi, bello, chukwu, own = fill_class(results)

    sheet = broadsheet.broadsheet(school=school, term=results.term, class_group=results.group)

    assert [s.name for s in sheet.subjects] == ["Mathematics", "English Language", "Basic Science", "French"]
    rows = [(r.student, r.totals, r.total, r.average, r.position_text, r.missing) for r in sheet.rows]
    assert rows == [
        (adeyemi, [D("75.0"), D("75.0"), D("48.0"), D("86.0")], D("284.0"), D("71.0"), "3rd", 0),
        (bello, [D("100.0"), D("50.0"), D("80.0"), None], D("230.0"), D("76.7"), "1st=", 0),
        (chukwu, [D("50.0"), D("100.0"), D("80.0"), None], D("230.0"), D("76.7"), "1st=", 0),
        (own, [D("70.0"), D("60.0"), D("40.0"), None], D("170.0"), D("56.7"), "4th", 1),
    ]
    assert sheet.subject_averages == [D("73.7"), D("71.3"), D("62.0"), D("86.0")]
    assert (sheet.average_total, sheet.average_average) == (D("228.5"), D("70.2"))


def test_broadsheet_page_shows_every_pupil_and_the_class_averages(school, alice, verified_client, results):
    pupils = fill_class(results)

    response = verified_client(alice).get(sheet_url(results))

    assert response.status_code == 200
    body = response.content.decode()
    assert all(p.full_name in body for p in pupils)
    assert "Class average" in body and "73.7" in body and "228.5" in body and "(1 missing)" in body
    assert "?format=csv" in body and "?format=pdf" in body


def test_broadsheet_csv_has_a_row_per_pupil_then_the_averages(school, alice, verified_client, results):
    fill_class(results)

    response = verified_client(alice).get(sheet_url(results), {"format": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Position",
        "Admission no.",
        "Pupil",
        "Mathematics",
        "English Language",
        "Basic Science",
        "French",
        "Total",
        "Average",
        "Missing",
    ]
    assert rows[1][2:] == [results.pupils[1].full_name, "75.0", "75.0", "48.0", "86.0", "284.0", "71.0", "0"]
    assert rows[2][0] == "1st=" and rows[2][6] == ""
    assert rows[-1] == ["", "", "Class average", "73.7", "71.3", "62.0", "86.0", "228.5", "70.2", ""]


def test_broadsheet_csv_neutralises_formulas_in_names(school, alice, verified_client, results):
    # given: pupils whose names a spreadsheet would run as formulas
    fill_class(results)
    for first, admission in (('=HYPERLINK("http://evil.test","x")', "=1+1"), ("+2348030000000", "@SUM(A1)")):
        pupil = f.StudentFactory(school=school, first_name=first, last_name="Aaron", admission_number=admission)
        f.enroll(pupil, results.term, results.group)

    # when
    rows = csv_rows(verified_client(alice).get(sheet_url(results), {"format": "csv"}))

    # then: every such cell starts with a quote
    cells = [cell for row in rows for cell in row]
    assert "'=1+1" in cells and "'@SUM(A1)" in cells
    assert '\'=HYPERLINK("http://evil.test","x") Aaron' in cells and "'+2348030000000 Aaron" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_broadsheet_pdf_is_landscape_with_every_pupil_and_subject(school, alice, verified_client, results):
    pupils = fill_class(results)

    response = verified_client(alice).get(sheet_url(results), {"format": "pdf"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert all(p.admission_number in text for p in pupils)
    assert all(code in text for code in ("MTH", "ENG", "BSC", "FRE"))
    assert "Class average 73.7 71.3 62.0 86.0 228.5 70.2" in text
    assert "Broadsheet" in text


def test_broadsheet_takes_the_same_queries_whatever_the_size_of_the_class(school, results):
    fill_class(results)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            broadsheet.broadsheet(school=school, term=results.term, class_group=results.group)
        return len(captured)

    before = queries()
    for i in range(10):
        pupil = f.StudentFactory(school=school, last_name=f"Zed{i}")
        f.enroll(pupil, results.term, results.group)
        results.fill(pupil, "English Language", "5", "5", "10", "30")

    assert queries() == before <= 7


def test_charlie_gets_404_for_the_broadsheet(school, other_school, charlie, verified_client, results):
    fill_class(results)
    client = verified_client(charlie)

    assert client.get(sheet_url(results)).status_code == 404
    assert client.get(sheet_url(results, "riverside"), {"format": "csv"}).status_code == 404
