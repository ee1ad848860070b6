"""The report cards API: a class's list, one card (GET, PATCH comments), its PDF and the broadsheet
(JSON and CSV). Every response is checked against the OpenAPI schema by the test client."""

import csv
import io

import pytest
from pypdf import PdfReader

from academics.models import ReportCard
from classpoint.models import AuditLog
from classpoint.schema_testing import schema

from .test_results_cards import fill_class

pytestmark = pytest.mark.django_db
G = "/api/v1/schools/greenfield/results"
R = "/api/v1/schools/riverside/results"


@pytest.fixture
def admin_api(api, alice):
    api.force_authenticate(alice)
    return api


def test_list_gives_each_pupils_summary_in_register_order(school, admin_api, results):
    adeyemi, bello, chukwu, own = fill_class(results)

    response = admin_api.get(f"{G}/report-cards/", {"term": results.term.pk, "class_group": results.group.pk})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 4
    rows = [
        (r["student"]["id"], r["total"], r["average"], r["position_text"], r["missing_count"]) for r in body["results"]
    ]
    assert rows == [
        (adeyemi.pk, "284.0", "71.0", "3rd", 0),
        (bello.pk, "230.0", "76.7", "1st=", 0),
        (chukwu.pk, "230.0", "76.7", "1st=", 0),
        (own.pk, "170.0", "56.7", "4th", 1),
    ]
    assert body["results"][3]["complete"] is False and body["results"][0]["published"] is False


def test_list_defaults_to_the_current_term_and_needs_a_class(school, admin_api, results):
    fill_class(results)

    found = admin_api.get(f"{G}/report-cards/", {"class_group": results.group.pk})
    missing = admin_api.get(f"{G}/report-cards/")
    huge = admin_api.get(f"{G}/report-cards/", {"class_group": 2**63})

    assert found.status_code == 200 and found.json()["count"] == 4
    assert missing.status_code == 400 and "class_group" in missing.json()["error"]["fields"]
    assert huge.status_code == 400 and "class_group" in huge.json()["error"]["fields"]


def test_card_has_every_figure_and_logs_the_access(school, admin_api, alice, results):
    adeyemi, *_ = fill_class(results)

    response = admin_api.get(f"{G}/report-cards/{results.term.pk}/{adeyemi.pk}/")

    assert response.status_code == 200, response.json()
    card = response.json()
    assert card["student"] == {
        "id": adeyemi.pk,
        "admission_number": adeyemi.admission_number,
        "name": adeyemi.full_name,
    }
    assert card["class_group"] == {"id": results.group.pk, "name": results.group.name}
    assert card["term"]["name"] == "First term" and card["term"]["session"] == "2026/2027"
    assert [c["name"] for c in card["components"]] == ["CA1", "CA2", "Project", "Exam"]
    maths = card["subjects"][0]
    assert (maths["name"], maths["cells"], maths["total"], maths["grade"]) == (
        "Mathematics",
        ["8.95", "9", "17", "40"],
        "75.0",
        "A1",
    )
    assert (maths["position_text"], maths["class_average"]) == ("2nd", "73.7")
    assert card["subjects"][2]["cells"] == ["6", "ABS", "12", "30"]
    assert (card["total"], card["average"], card["position"], card["class_size"]) == ("284.0", "71.0", 3, 4)
    assert card["attendance"] is None and card["next_term"] is None and card["next_term_fees"] == ""
    assert card["grade_key"][0]["letter"] == "A1" and card["complete"] is True
    assert AuditLog.objects.filter(
        school=school, action="student.viewed", target_id=str(adeyemi.pk), changes__via="api"
    ).exists()


def test_patch_sets_the_comments_and_answers_the_card(school, admin_api, results):
    adeyemi, *_ = fill_class(results)
    url = f"{G}/report-cards/{results.term.pk}/{adeyemi.pk}/"

    response = admin_api.patch(url, {"form_teacher_comment": "Steady.", "head_comment": "Well done."}, format="json")
    too_long = admin_api.patch(url, {"head_comment": "x" * 501}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["form_teacher_comment"], response.json()["head_comment"]) == ("Steady.", "Well done.")
    assert too_long.status_code == 400 and "head_comment" in too_long.json()["error"]["fields"]
    card = ReportCard.objects.get(school=school, term=results.term, student=adeyemi)
    assert card.head_comment == "Well done."


def test_form_teacher_writes_their_comment_but_not_the_heads(school, api, results):
    adeyemi, *_ = fill_class(results)
    results.group.form_teacher = results.teacher_staff
    results.group.save()
    api.force_authenticate(results.teacher_user)
    url = f"{G}/report-cards/{results.term.pk}/{adeyemi.pk}/"

    mine = api.patch(url, {"form_teacher_comment": "Neat work."}, format="json")
    heads = api.patch(url, {"head_comment": "Excellent."}, format="json")

    assert mine.status_code == 200 and mine.json()["form_teacher_comment"] == "Neat work."
    assert heads.status_code == 403
    assert ReportCard.objects.get(school=school, student=adeyemi).head_comment == ""


def test_teacher_of_another_class_is_refused(school, api, teacher, results):
    adeyemi, *_ = fill_class(results)
    api.force_authenticate(teacher)

    card = api.get(f"{G}/report-cards/{results.term.pk}/{adeyemi.pk}/")
    listing = api.get(f"{G}/report-cards/", {"class_group": results.group.pk})
    sheet = api.get(f"{G}/broadsheets/{results.term.pk}/{results.group.pk}/")

    assert card.status_code == listing.status_code == sheet.status_code == 403


def test_pdf_is_served_whatever_the_client_accepts(school, admin_api, results):
    adeyemi, *_ = fill_class(results)

    response = admin_api.get(f"{G}/report-cards/{results.term.pk}/{adeyemi.pk}/pdf/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert adeyemi.admission_number in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_broadsheet_as_json_and_csv(school, admin_api, results):
    adeyemi, *_ = fill_class(results)
    url = f"{G}/broadsheets/{results.term.pk}/{results.group.pk}/"

    as_json = admin_api.get(url)
    as_csv = admin_api.get(url, {"format": "csv"})

    assert as_json.status_code == 200, as_json.json()
    body = as_json.json()
    assert [s["name"] for s in body["subjects"]] == ["Mathematics", "English Language", "Basic Science", "French"]
    assert body["rows"][0]["student"]["id"] == adeyemi.pk and body["rows"][0]["totals"] == [
        "75.0",
        "75.0",
        "48.0",
        "86.0",
    ]
    assert body["rows"][1]["totals"][3] is None and body["rows"][1]["position_text"] == "1st="
    assert body["subject_averages"] == ["73.7", "71.3", "62.0", "86.0"] and body["average_total"] == "228.5"
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows[-1][2:7] == ["Class average", "73.7", "71.3", "62.0", "86.0"]


def test_charlie_gets_404_everywhere(school, other_school, api, charlie, results):
    adeyemi, *_ = fill_class(results)
    api.force_authenticate(charlie)
    card = f"report-cards/{results.term.pk}/{adeyemi.pk}/"

    for url in (
        f"{G}/{card}",
        f"{R}/{card}",
        f"{R}/{card}pdf/",
        f"{R}/broadsheets/{results.term.pk}/{results.group.pk}/",
    ):
        assert api.get(url).status_code == 404, url
    assert api.get(f"{R}/report-cards/", {"class_group": results.group.pk}).status_code == 404
    assert api.patch(f"{R}/{card}", {"head_comment": "x"}, format="json").status_code == 404
    assert not ReportCard.objects.exists()


def test_schema_documents_the_pdf_and_csv_answers(db):
    paths = schema()["paths"]
    pdf = paths["/api/v1/schools/{school_slug}/results/report-cards/{term_id}/{student_id}/pdf/"]["get"]
    sheet = paths["/api/v1/schools/{school_slug}/results/broadsheets/{term_id}/{class_group_id}/"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(sheet["responses"]["200"]["content"])
