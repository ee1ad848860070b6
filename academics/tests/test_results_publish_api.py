"""The publishing API: POST /api/v1/schools/<slug>/results/publish/ and GET .../publish/status/."""

import pytest

from academics.models import ReportCard
from classpoint.models import OutboxEvent

from .test_results_publishing import fill

pytestmark = pytest.mark.django_db
URL = "/api/v1/schools/greenfield/results/publish/"
STATUS = URL + "status/"


@pytest.fixture
def admin_api(api, alice):
    api.force_authenticate(alice)
    return api


def test_publishing_a_class_answers_what_it_did(school, results, admin_api):
    fill(results)
    response = admin_api.post(URL, {"term": results.term.pk, "class_group": results.group.pk}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "term": {"id": results.term.pk, "name": str(results.term)},
        "forced_reason": "",
        "classes": [
            {
                "class_group": {"id": results.group.pk, "name": "GFA JSS 1A"},
                "pupils": 4,
                "published": 4,
                "updated": 0,
                "unchanged": 0,
                "withheld": 0,
                "missing": 0,
                "locked_now": True,
            }
        ],
    }
    again = admin_api.post(URL, {"term": results.term.pk}, format="json").json()
    assert again["classes"][0]["unchanged"] == 4 and again["classes"][0]["locked_now"] is False
    assert OutboxEvent.objects.filter(school=school, event_type="result.ready").count() == 4


def test_missing_scores_are_a_409_naming_each_gap_until_forced(school, results, admin_api):
    fill(results, skip={(results.pupils[1], "Basic Science")})
    refused = admin_api.post(URL, {"term": results.term.pk}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    pupil = results.pupils[1]
    assert error["code"] == "results_missing"
    assert error["fields"]["missing"] == [
        f"GFA JSS 1A, Basic Science: {pupil.first_name} {pupil.last_name} has nothing entered yet."
    ]
    assert not ReportCard.objects.filter(school=school).exists()
    forced = admin_api.post(URL, {"term": results.term.pk, "force_reason": "Lab closed for repairs"}, format="json")
    assert forced.status_code == 200
    assert forced.json()["forced_reason"] == "Lab closed for repairs"
    assert forced.json()["classes"][0]["missing"] == 1


def test_a_reason_too_long_is_a_field_error(school, results, admin_api):
    response = admin_api.post(URL, {"term": results.term.pk, "force_reason": "x" * 201}, format="json")
    assert response.status_code == 400 and "force_reason" in response.json()["error"]["fields"]


def test_the_status_lists_each_class_state(school, results, admin_api):
    fill(results, skip={(results.pupils[0], "Mathematics")})
    body = admin_api.get(STATUS, {"term": results.term.pk}).json()
    assert body["term"]["id"] == results.term.pk
    assert body["classes"] == [
        {
            "class_group": {"id": results.group.pk, "name": "GFA JSS 1A"},
            "pupils": 4,
            "missing": 1,
            "locked": False,
            "locked_at": None,
            "published": 0,
            "withheld": 0,
            "last_published_at": None,
        }
    ]
    assert admin_api.get(STATUS).json()["term"]["id"] == results.term.pk  # the current term by default


def test_a_term_or_class_group_of_another_school_is_a_404(school, other_school, results, admin_api):
    foreign_term, foreign_class = other_school.current_term(), other_school.class_groups.first()
    response = admin_api.post(URL, {"term": foreign_term.pk}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "term_not_found"
    response = admin_api.post(URL, {"term": results.term.pk, "class_group": foreign_class.pk}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "class_group_not_found"
    assert admin_api.get(STATUS, {"term": foreign_term.pk}).status_code == 404
    assert admin_api.get(STATUS, {"term": "²"}).status_code == 400


def test_a_teacher_gets_403(school, results, teacher, api):
    api.force_authenticate(teacher)
    assert api.post(URL, {"term": results.term.pk}, format="json").status_code == 403
    assert api.get(STATUS).status_code == 403


def test_charlie_gets_404(school, results, charlie, api):
    api.force_authenticate(charlie)
    assert api.post(URL, {"term": results.term.pk}, format="json").status_code == 404
    assert api.get(STATUS).status_code == 404
    assert not ReportCard.objects.filter(school=school).exists()
