"""The results set-up API: subjects, subject teachers, a term's components, grade scales, the policy
and the comment bank. Every answer is checked against the published schema (classpoint.schema_testing)."""

import pytest
from rest_framework.test import APIClient

from academics.models import AssessmentComponent, CommentBank, GradeScale, ResultsLock, Subject, SubjectTeacher
from academics.results.policy import policy_for
from academics.results.setup_grading import comment_bank
from classpoint.models import AuditLog
from classpoint.schema_testing import schema
from schools.tests import factories as f

from .factories import next_term, slot, staff

pytestmark = pytest.mark.django_db
API = "/api/v1/schools/greenfield/results/"


@pytest.fixture
def admin_api(school, alice, api):
    api.force_authenticate(alice)
    return api


@pytest.fixture
def teacher_api(teacher):
    client = APIClient()
    client.force_authenticate(teacher)
    return client


def components_url(term):
    return f"{API}terms/{term.pk}/components/"


def bands(*rows):
    return [{"letter": letter, "min_score": low, "max_score": high} for letter, low, high in rows]


# --- Subjects --------------------------------------------------------------------------------------


def test_the_admin_lists_creates_changes_and_retires_subjects(school, admin_api, results):
    listed = admin_api.get(API + "subjects/", {"level": "JSS 1"})
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == [
        "Mathematics",
        "English Language",
        "Basic Science",
        "French",
    ]
    assert admin_api.get(API + "subjects/", {"level": "SS 3"}).json()["count"] == 0
    created = admin_api.post(API + "subjects/", {"name": "Civic Education", "level": "JSS 1", "kind": "elective"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["code"], body["kind"], body["position"], body["is_active"]) == ("", "elective", 0, True)
    url = f"{API}subjects/{body['id']}/"
    changed = admin_api.patch(url, {"code": "cve", "position": 9})
    assert changed.status_code == 200 and (changed.json()["code"], changed.json()["position"]) == ("CVE", 9)
    assert admin_api.get(url).json()["name"] == "Civic Education"
    retired = admin_api.delete(url)
    assert retired.status_code == 200 and retired.json() == {"id": body["id"], "deleted": True, "is_active": False}
    assert admin_api.get(url).status_code == 404


def test_a_subject_with_scores_is_retired_not_deleted(school, admin_api, results):
    results.put(results.pupils[0], "French", CA1="5")
    french = results.subject("French")
    answer = admin_api.delete(f"{API}subjects/{french.pk}/")
    assert answer.json() == {"id": french.pk, "deleted": False, "is_active": False}
    assert Subject.objects.filter(pk=french.pk, is_active=False).exists()


def test_a_duplicate_subject_is_a_field_error_and_nothing_is_made(school, admin_api, results):
    answer = admin_api.post(API + "subjects/", {"name": "english language", "level": "JSS 1"})
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "code": "results_invalid",
        "message": "Check the subject's details.",
        "fields": {"name": ["JSS 1 already has a subject called english language."]},
    }
    shape = admin_api.post(API + "subjects/", {"name": "Latin", "level": "JSS 1", "position": 5000})
    assert shape.status_code == 400 and list(shape.json()["error"]["fields"]) == ["position"]
    assert Subject.objects.filter(school=school).count() == 4


# --- Subject teachers ------------------------------------------------------------------------------


def test_the_admin_names_and_clears_a_subject_teacher(school, admin_api, results):
    bola = staff(school, "Bola", "Ade")
    english = results.subject("English Language")
    body = {"term": results.term.pk, "class_group": results.group.pk, "subject": english.pk, "teacher": bola.pk}
    named = admin_api.post(API + "subject-teachers/", body)
    assert named.status_code == 200, named.json()
    assert named.json() == {
        "term": results.term.pk,
        "class_group": {"id": results.group.pk, "name": results.group.name},
        "subject": {"id": english.pk, "name": "English Language (JSS 1)"},
        "teacher": {"id": bola.pk, "name": "Bola Ade"},
        "from_timetable": False,
    }
    listed = admin_api.get(API + "subject-teachers/", {"term": results.term.pk, "class_group": results.group.pk})
    assert [row["subject"]["id"] for row in listed.json()["results"]] == [results.subjects[0].pk, english.pk]
    cleared = admin_api.post(API + "subject-teachers/", {**body, "teacher": None})
    assert cleared.status_code == 200 and cleared.json()["teacher"] is None
    assert not SubjectTeacher.objects.filter(subject=english).exists()


def test_the_timetable_fill_answers_its_counts(school, admin_api, results):
    bola = staff(school, "Bola", "Ade")
    slot(school, class_group=results.group, term=results.term, subject="Basic science", teacher=bola)
    slot(
        school, class_group=results.group, term=results.term, subject="Music", teacher=bola, start="11:00", end="12:00"
    )
    answer = admin_api.post(API + "subject-teachers/from-timetable/", {"term": results.term.pk})
    assert answer.status_code == 200
    assert answer.json() == {"made": 1, "already": 0, "unmatched": ["Music"]}
    assert SubjectTeacher.objects.get(subject__name="Basic Science").from_timetable is True


# --- Components -------------------------------------------------------------------------------------


def test_the_admin_reads_and_replaces_a_terms_components(school, admin_api, results):
    url = components_url(results.term)
    read = admin_api.get(url).json()
    assert (read["locked"], read["weight_total"], read["term"]["id"]) == (False, "100.00", results.term.pk)
    rows = [{key: row[key] for key in ("id", "name", "max_score", "weight")} for row in read["components"]]
    rows[3]["weight"] = "40"
    rows.append({"name": "Practical", "max_score": 20, "weight": 20})
    answer = admin_api.put(url, {"components": rows})
    assert answer.status_code == 200, answer.json()
    assert [(c["name"], c["weight"], c["position"]) for c in answer.json()["components"]] == [
        ("CA1", "10.00", 0),
        ("CA2", "10.00", 1),
        ("Project", "20.00", 2),
        ("Exam", "40.00", 3),
        ("Practical", "20.00", 4),
    ]
    assert AuditLog.objects.filter(action="results.components_set").count() == 1


def test_weights_that_miss_a_hundred_are_refused_naming_the_total(school, admin_api, results):
    before = list(AssessmentComponent.objects.filter(term=results.term).values_list("name", "weight"))
    answer = admin_api.put(
        components_url(results.term),
        {
            "components": [
                {"name": "CA", "max_score": 40, "weight": 40},
                {"name": "Exam", "max_score": 60, "weight": 50},
            ]
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {"components": ["The weights add up to 90; they must add up to 100."]}
    assert list(AssessmentComponent.objects.filter(term=results.term).values_list("name", "weight")) == before


def test_a_component_in_use_or_a_locked_term_is_a_409(school, admin_api, results):
    results.put(results.pupils[0], "Mathematics", CA2="9")
    url = components_url(results.term)
    rows = [
        {key: c[key] for key in ("id", "name", "max_score", "weight")} for c in admin_api.get(url).json()["components"]
    ]
    lowered = admin_api.put(url, {"components": [rows[0], {**rows[1], "max_score": "5"}, *rows[2:]]})
    assert lowered.status_code == 409 and lowered.json()["error"]["code"] == "component_in_use"
    assert lowered.json()["error"]["fields"] == {
        "components.1.max_score": ["A score of 9 was entered: the maximum stays at least that."]
    }
    ResultsLock.objects.create(school=school, term=results.term, class_group=results.group)
    locked = admin_api.put(url, {"components": [{**rows[0], "name": "Test"}, *rows[1:]]})
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "results_locked"
    assert admin_api.get(url).json()["locked"] is True
    assert AssessmentComponent.objects.get(pk=rows[0]["id"]).name == "CA1"


def test_a_new_term_starts_with_no_components(school, admin_api, results):
    second = next_term(school)
    assert admin_api.get(components_url(second)).json() == {
        "term": {"id": second.pk, "name": str(second)},
        "locked": False,
        "weight_total": "0.00",
        "components": [],
    }


# --- Grade scales and policy -----------------------------------------------------------------------


def test_the_admin_makes_a_scale_uses_it_and_replaces_its_bands(school, admin_api):
    made = admin_api.post(
        API + "grade-scales/",
        {"name": "Pass or fail", "bands": bands(("P", "50.0", "100.0"), ("F", "0", "49.9")), "use": True},
    )
    assert made.status_code == 201, made.json()
    scale = made.json()
    assert scale["in_use"] is True and [b["letter"] for b in scale["bands"]] == ["P", "F"]
    assert scale["bands"][0] == {
        "letter": "P",
        "min_score": "50.0",
        "max_score": "100.0",
        "remark": "",
        "points": "0.00",
    }
    url = f"{API}grade-scales/{scale['id']}/"
    replaced = admin_api.put(url, {"bands": bands(("P", "40", "100"), ("F", "0", "39.9"))})
    assert replaced.status_code == 200 and replaced.json()["bands"][0]["min_score"] == "40.0"
    listed = admin_api.get(API + "grade-scales/").json()
    assert [(row["name"], row["in_use"]) for row in listed["results"]] == [
        ("Nigerian secondary (A1–F9)", False),
        ("Pass or fail", True),
    ]
    preset = admin_api.post(API + "grade-scales/", {"preset": "us"})
    assert preset.status_code == 201 and len(preset.json()["bands"]) == 5 and preset.json()["in_use"] is False


def test_a_scale_with_a_gap_or_an_overlap_is_refused_with_the_reason(school, admin_api):
    gap = admin_api.post(
        API + "grade-scales/", {"name": "Ours", "bands": bands(("A", "60", "100"), ("F", "0", "49.9"))}
    )
    assert gap.status_code == 400
    assert gap.json()["error"]["fields"] == {"bands": ["Gap: no band covers 50.0 to 59.9."]}
    overlap = admin_api.post(
        API + "grade-scales/", {"name": "Ours", "bands": bands(("A", "49", "100"), ("F", "0", "49.9"))}
    )
    assert overlap.json()["error"]["fields"] == {"bands": ["Overlap: F and A both cover 49.0."]}
    both = admin_api.post(API + "grade-scales/", {"preset": "us", "name": "Ours"})
    assert both.status_code == 400 and "preset" in both.json()["error"]["fields"]
    assert not GradeScale.objects.filter(school=school, name="Ours").exists()


def test_the_policy_is_read_and_changed(school, admin_api):
    read = admin_api.get(API + "policy/").json()
    assert read["withhold_owing_above_minor"] is None and read["link_days"] == 60 and read["currency"] == "NGN"
    changed = admin_api.patch(
        API + "policy/", {"show_class_position": False, "withhold_owing_above_minor": 2500000, "link_days": 14}
    )
    assert changed.status_code == 200
    assert (changed.json()["show_class_position"], changed.json()["withhold_owing_above_minor"]) == (False, 2500000)
    bad = admin_api.patch(API + "policy/", {"link_days": 0})
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["link_days"]
    off = admin_api.patch(API + "policy/", {"withhold_owing_above_minor": None})
    assert off.json()["withhold_owing_above_minor"] is None and policy_for(school).link_days == 14


# --- Comment bank ----------------------------------------------------------------------------------


def test_the_comment_bank_is_listed_added_to_and_pruned(school, admin_api):
    heads = admin_api.get(API + "comment-bank/", {"kind": "head"}).json()
    assert heads["count"] == 12 and {row["kind"] for row in heads["results"]} == {"head"}
    added = admin_api.post(API + "comment-bank/", {"kind": "form_teacher", "text": "A joy to teach."})
    assert added.status_code == 201 and added.json()["position"] == 12
    again = admin_api.post(API + "comment-bank/", {"kind": "form_teacher", "text": "a joy to teach."})
    assert again.status_code == 400 and again.json()["error"]["code"] == "comment_invalid"
    assert admin_api.delete(f"{API}comment-bank/{added.json()['id']}/").status_code == 204
    assert admin_api.get(API + "comment-bank/").json()["count"] == 24


# --- Who may --------------------------------------------------------------------------------------


def test_a_teacher_is_refused_the_set_up_api(school, teacher_api, results):
    assert teacher_api.get(API + "subjects/").status_code == 403
    assert teacher_api.post(API + "subjects/", {"name": "Latin", "level": "JSS 1"}).status_code == 403
    assert teacher_api.put(components_url(results.term), {"components": []}).status_code == 403
    assert teacher_api.patch(API + "policy/", {"link_days": 3}).status_code == 403
    assert not Subject.objects.filter(name="Latin").exists()


def test_another_school_finds_nothing(school, charlie, results):
    client = APIClient()
    client.force_authenticate(charlie)
    assert client.get(API + "subjects/").status_code == 404
    assert client.get(components_url(results.term)).status_code == 404


def test_another_schools_ids_are_404_and_change_nothing(school, other_school, charlie, admin_api, results):
    f.ClassGroupFactory(school=other_school, name="RVC JSS 1B", level="JSS 1")
    theirs = Subject.objects.create(school=other_school, name="Latin", level="JSS 1")
    rita = staff(other_school, "Rita", "Eze")
    assert admin_api.get(f"{API}subjects/{theirs.pk}/").status_code == 404
    assert admin_api.patch(f"{API}subjects/{theirs.pk}/", {"name": "Greek"}).status_code == 404
    assert admin_api.delete(f"{API}subjects/{theirs.pk}/").status_code == 404
    their_term = other_school.current_term()
    assert admin_api.get(components_url(their_term)).status_code == 404
    assert admin_api.put(components_url(their_term), {"components": []}).status_code == 404
    body = {"term": results.term.pk, "class_group": results.group.pk, "subject": theirs.pk, "teacher": None}
    answer = admin_api.post(API + "subject-teachers/", body)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "subject_not_found"
    body = {**body, "subject": results.subjects[1].pk, "teacher": rita.pk}
    answer = admin_api.post(API + "subject-teachers/", body)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "teacher_not_found"
    answer = admin_api.post(API + "subject-teachers/from-timetable/", {"term": their_term.pk})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "term_not_found"
    their_scale = policy_for(other_school).grade_scale
    assert admin_api.get(f"{API}grade-scales/{their_scale.pk}/").status_code == 404
    assert admin_api.patch(API + "policy/", {"grade_scale": their_scale.pk}).status_code == 404
    their_comment = comment_bank(other_school)[0]
    assert admin_api.delete(f"{API}comment-bank/{their_comment.pk}/").status_code == 404
    assert (
        Subject.objects.get(pk=theirs.pk).name == "Latin" and CommentBank.objects.filter(pk=their_comment.pk).exists()
    )
    assert not SubjectTeacher.objects.filter(subject=results.subjects[1]).exists()


def test_the_schema_describes_the_set_up_endpoints():
    paths = schema()["paths"]
    base = "/api/v1/schools/{school_slug}/results/"
    assert {"get", "post"} <= set(paths[base + "subjects/"])
    assert {"get", "patch", "delete"} <= set(paths[base + "subjects/{id}/"])
    assert {"get", "put"} <= set(paths[base + "terms/{term_id}/components/"])
    assert "component_in_use" in paths[base + "terms/{term_id}/components/"]["put"]["responses"]["409"]["description"]
    assert {"get", "put"} <= set(paths[base + "grade-scales/{id}/"])
    assert {"get", "patch"} <= set(paths[base + "policy/"])
    assert "delete" in paths[base + "comment-bank/{id}/"]
    assert {p["name"] for p in paths[base + "subject-teachers/"]["get"]["parameters"]} >= {"term", "class_group"}
