"""Score entry's workspace pages: the member's grids, the grid as a plain form (no JavaScript), the
cell endpoint the script saves through, locking and amendments, and who gets 403 or 404."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from academics.models import ResultsLock, Score, ScoreAmendment, ScoreRow
from academics.results import compute
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


def grid_url(world, subject="Mathematics", name="results-grid"):
    return reverse(name, args=["greenfield", world.term.pk, world.group.pk, world.subject(subject).pk])


def text_of(world, pupil, component, subject="Mathematics"):
    score = Score.objects.filter(
        row__student=pupil, row__subject=world.subject(subject), component=world.component(component)
    ).first()
    return str(compute.Cell(value=score.value, absent=score.absent)) if score else ""


def posted_grid(page_context):
    """The grid form as the page filled it: every cell, seen text and version."""
    data = {}
    for r in page_context["rows"]:
        sid = r["row"].student.pk
        data[f"version-{sid}"] = str(r["version"])
        for cell in r["cells"]:
            data[cell["field"]] = cell["value"]
            data[f"seen-{sid}-{cell['component'].pk}"] = cell["seen"]
    return data


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


# --- the member's grids -------------------------------------------------------------------------


def test_a_teacher_sees_their_grids_with_progress(results, teacher_client):
    results.fill(results.pupils[0], "Mathematics", "5", "6", "12", "40")
    page = teacher_client.get(reverse("results-home", args=["greenfield"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Mathematics" in body and "4 / 16" in body
    assert "English Language" not in body
    assert grid_url(results) in body
    assert "Lock scores" not in body


def test_a_manager_sees_every_class_with_lock_buttons(results, alice, verified_client):
    client = verified_client(alice)
    page = client.get(reverse("results-home", args=["greenfield"]), {"term": results.term.pk})
    body = page.content.decode()
    assert page.status_code == 200
    for name in ("Mathematics", "English Language", "Basic Science", "French"):
        assert name in body
    assert reverse("results-lock", args=["greenfield", results.term.pk, results.group.pk]) in body


def test_a_member_who_only_publishes_lands_on_the_results_menu(results, client, school):
    user = f.member(school, "registrar")
    role = school.memberships.get(user=user).role
    role.permissions = ["academics.publish_results"]
    role.save()
    client.force_login(user)
    page = client.get(reverse("results-home", args=["greenfield"]))
    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("results-publish", args=["greenfield"]) in body and "does not enter scores" in body
    assert client.get(grid_url(results)).status_code == 403


def test_the_term_picker_ignores_a_term_that_is_not_a_number(results, teacher_client):
    page = teacher_client.get(reverse("results-home", args=["greenfield"]), {"term": "²"})
    assert page.status_code == 200 and "Mathematics" in page.content.decode()


# --- the grid without JavaScript -----------------------------------------------------------------


def test_the_grid_shows_a_cell_per_pupil_and_component_with_headers(results, teacher_client):
    results.fill(results.pupils[1], "Mathematics", "8", "7", "15", "45")
    page = teacher_client.get(grid_url(results))
    body = page.content.decode()
    assert page.status_code == 200
    pupil, ca1 = results.pupils[1], results.component("CA1")
    assert f'name="cell-{pupil.pk}-{ca1.pk}"' in body and f'name="version-{pupil.pk}"' in body
    assert "/10 · 10%" in body and "/60 · 60%" in body
    row = next(r for r in page.context["rows"] if r["row"].student == pupil)
    # 8 + 7 + 15 + 45 = 75.0: A1
    assert (row["row"].total, row["row"].grade) == ("75.0", "A1")
    assert pupil.admission_number in body


def test_posting_the_grid_saves_only_what_changed(results, teacher_client, alice):
    page = teacher_client.get(grid_url(results))
    data = posted_grid(page.context)
    a, b = results.pupils[:2]
    # meanwhile another teacher fills b's CA2, which this teacher leaves as they saw it
    results.put(b, "Mathematics", CA2="9")
    data[f"cell-{a.pk}-{results.component('CA1').pk}"] = "7.5"
    data[f"cell-{a.pk}-{results.component('Exam').pk}"] = "abs"
    response = teacher_client.post(grid_url(results), data)
    assert response.status_code == 302
    assert (text_of(results, a, "CA1"), text_of(results, a, "Exam"), text_of(results, b, "CA2")) == ("7.5", "ABS", "9")
    assert ScoreRow.objects.get(student=a).version == 1


def test_a_bad_cell_refuses_the_whole_post_with_the_error_beside_it(results, teacher_client):
    page = teacher_client.get(grid_url(results))
    data = posted_grid(page.context)
    a, b = results.pupils[:2]
    data[f"cell-{a.pk}-{results.component('CA1').pk}"] = "7"
    bad = f"cell-{b.pk}-{results.component('Project').pk}"
    data[bad] = "25"
    response = teacher_client.post(grid_url(results), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body and "out of range" in body
    assert f'aria-describedby="{bad}-error"' in body
    # what the teacher typed is still there to correct
    assert 'value="25"' in body and 'value="7"' in body
    assert not Score.objects.exists()


def test_a_cell_changed_by_someone_else_is_reported_not_overwritten(results, teacher_client):
    page = teacher_client.get(grid_url(results))
    data = posted_grid(page.context)
    a = results.pupils[0]
    results.put(a, "Mathematics", CA1="9")
    field = f"cell-{a.pk}-{results.component('CA1').pk}"
    data[field] = "4"
    response = teacher_client.post(grid_url(results), data)
    assert response.status_code == 409
    assert text_of(results, a, "CA1") == "9"
    body = response.content.decode()
    assert "saved 9 here; yours (4) is not saved" in body
    # saving the page again keeps theirs... no: keeps what the teacher typed, now over the new version
    again = teacher_client.post(grid_url(results), posted_grid(response.context))
    assert again.status_code == 302 and text_of(results, a, "CA1") == "4"


def test_the_grid_page_reads_a_fixed_number_of_queries(results, teacher_client, school):
    teacher_client.get(grid_url(results))
    with CaptureQueriesContext(connection) as small:
        teacher_client.get(grid_url(results))
    for n in range(12):
        pupil = f.StudentFactory(school=school, last_name=f"Extra{n:02d}")
        f.enroll(pupil, results.term, results.group)
        results.fill(pupil, "Mathematics", "5", "5", "10", "30")
    with CaptureQueriesContext(connection) as large:
        teacher_client.get(grid_url(results))
    assert len(large) == len(small)


# --- who may open a grid -------------------------------------------------------------------------


def test_a_teacher_of_another_subject_gets_403(results, teacher_client):
    assert teacher_client.get(grid_url(results, "English Language")).status_code == 403
    post = teacher_client.post(grid_url(results, "English Language", "results-grid-cell"), {})
    assert post.status_code == 403
    assert teacher_client.get(grid_url(results, "English Language", "results-grid-csv")).status_code == 403


def test_a_member_without_score_permissions_gets_403(results, client, school):
    client.force_login(f.member(school, "registrar"))
    assert client.get(reverse("results-home", args=["greenfield"])).status_code == 403
    assert client.get(grid_url(results)).status_code == 403


def test_charlie_gets_404_for_greenfields_grids(results, charlie, verified_client, other_school):
    client = verified_client(charlie)
    assert client.get(grid_url(results)).status_code == 404
    assert client.get(reverse("results-home", args=["greenfield"])).status_code == 404
    assert (
        client.post(reverse("results-lock", args=["greenfield", results.term.pk, results.group.pk])).status_code == 404
    )
    # and Greenfield's ids under Riverside's own address are not found either
    other = reverse(
        "results-grid", args=["riverside", results.term.pk, results.group.pk, results.subject("Mathematics").pk]
    )
    assert client.get(other).status_code == 404
    assert not ResultsLock.objects.exists()


def test_an_id_past_any_id_is_a_404(results, teacher_client):
    url = reverse("results-grid", args=["greenfield", results.term.pk, results.group.pk, 99999999999999999999])
    assert teacher_client.get(url).status_code == 404


# --- the cell endpoint (static/js/scores.js) -----------------------------------------------------


def cell(client, world, pupil, component, text, version=0, seen="", as_json=True):
    body = {
        "student_id": pupil.pk,
        "component_id": world.component(component).pk,
        "text": text,
        "seen_version": version,
        "seen_text": seen,
    }
    url = grid_url(world, name="results-grid-cell")
    if as_json:
        return client.post(url, json.dumps(body), content_type="application/json")
    return client.post(url, body)


def test_the_cell_endpoint_saves_json_and_forms_and_answers_the_row(results, teacher_client):
    a = results.pupils[0]
    first = cell(teacher_client, results, a, "CA1", "8")
    assert first.status_code == 200
    assert first.json()["state"]["version"] == 1
    second = cell(teacher_client, results, a, "CA2", "6", version=1, as_json=False)
    assert second.status_code == 200
    state = second.json()["state"]
    assert (state["total"], state["complete"]) == ("14.0", False)
    assert state["cells"][str(results.component("CA1").pk)] == "8"


def test_the_cell_endpoint_answers_409_with_what_changed(results, teacher_client):
    a = results.pupils[0]
    results.put(a, "Mathematics", CA1="9")
    response = cell(teacher_client, results, a, "CA1", "4", version=0, seen="")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "score_conflict"
    assert (error["fields"]["conflict"]["text"], error["fields"]["conflict"]["version"]) == ("9", 1)


def test_the_cell_endpoint_names_a_bad_cell_and_a_locked_class(results, teacher_client, alice):
    a = results.pupils[0]
    bad = cell(teacher_client, results, a, "CA1", "11")
    assert bad.status_code == 400
    assert f"cell-{a.pk}-{results.component('CA1').pk}" in bad.json()["error"]["fields"]
    ResultsLock.objects.create(school=results.school, term=results.term, class_group=results.group)
    locked = cell(teacher_client, results, a, "CA1", "5")
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "results_locked"
    garbage = teacher_client.post(
        grid_url(results, name="results-grid-cell"), "{not json", content_type="application/json"
    )
    assert garbage.status_code == 400


# --- locking and amending -----------------------------------------------------------------------


def test_a_manager_locks_a_class_and_its_grid_becomes_read_only(results, alice, verified_client, teacher, client):
    admin = verified_client(alice)
    response = admin.post(reverse("results-lock", args=["greenfield", results.term.pk, results.group.pk]))
    assert response.status_code == 302
    assert ResultsLock.objects.filter(term=results.term, class_group=results.group).exists()
    client.force_login(teacher)
    page = client.get(grid_url(results))
    body = page.content.decode()
    assert page.status_code == 200 and "are locked" in body
    assert 'name="cell-' not in body and "scores.js" not in body
    assert client.post(grid_url(results), {}).status_code == 409


def test_a_teacher_cannot_lock(results, teacher_client):
    url = reverse("results-lock", args=["greenfield", results.term.pk, results.group.pk])
    assert teacher_client.post(url).status_code == 403
    assert not ResultsLock.objects.exists()


def test_a_manager_amends_a_locked_score_with_a_reason(results, alice, verified_client):
    a = results.pupils[0]
    results.put(a, "Mathematics", Exam="40")
    ResultsLock.objects.create(school=results.school, term=results.term, class_group=results.group)
    admin = verified_client(alice)
    exam = results.component("Exam")
    page = admin.get(grid_url(results), {"amend": f"{a.pk}-{exam.pk}"})
    assert 'id="amend"' in page.content.decode()
    url = grid_url(results, name="results-grid-amend")
    refused = admin.post(url, {"student": a.pk, "component": exam.pk, "text": "45", "reason": ""})
    assert refused.status_code == 400 and "Give the reason" in refused.content.decode()
    assert text_of(results, a, "Exam") == "40"
    done = admin.post(url, {"student": a.pk, "component": exam.pk, "text": "45", "reason": "Re-marked"})
    assert done.status_code == 302
    assert text_of(results, a, "Exam") == "45"
    assert ScoreAmendment.objects.get().reason == "Re-marked"
    assert "Re-marked" in admin.get(grid_url(results)).content.decode()


def test_unlocking_opens_the_grid_again(results, alice, verified_client):
    ResultsLock.objects.create(school=results.school, term=results.term, class_group=results.group)
    admin = verified_client(alice)
    admin.post(reverse("results-unlock", args=["greenfield", results.term.pk, results.group.pk]))
    assert not ResultsLock.objects.exists()
    assert 'name="cell-' in admin.get(grid_url(results)).content.decode()


# --- hostile input ------------------------------------------------------------------------------

HOSTILE = ("²", "99999999999999999999", "1e400", "nul\x00byte", "-0", "NaN", "Infinity")


def test_no_field_of_the_grid_answers_hostile_input_with_a_500(results, teacher_client):
    page = teacher_client.get(grid_url(results))
    data = posted_grid(page.context)
    a = results.pupils[0]
    ca1 = results.component("CA1").pk
    for field in (f"cell-{a.pk}-{ca1}", f"seen-{a.pk}-{ca1}", f"version-{a.pk}"):
        for value in HOSTILE:
            response = teacher_client.post(grid_url(results), {**data, field: value})
            assert response.status_code < 500, (field, value)
    for value in HOSTILE:
        body = {"student_id": value, "component_id": value, "text": value, "seen_version": value, "seen_text": value}
        assert teacher_client.post(grid_url(results, name="results-grid-cell"), body).status_code < 500
        odd = json.dumps({"student_id": a.pk, "component_id": ca1, "text": 5, "seen_version": [value], "seen_text": 7})
        response = teacher_client.post(
            grid_url(results, name="results-grid-cell"), odd, content_type="application/json"
        )
        assert response.status_code < 500
    assert not Score.objects.exclude(value__isnull=True, absent=False).exclude(value=0).exists()


def test_no_field_of_the_amendment_answers_hostile_input_with_a_500(results, alice, verified_client):
    ResultsLock.objects.create(school=results.school, term=results.term, class_group=results.group)
    admin = verified_client(alice)
    a, exam = results.pupils[0], results.component("Exam")
    good = {"student": a.pk, "component": exam.pk, "text": "45", "reason": "Re-marked"}
    for field in good:
        for value in HOSTILE:
            response = admin.post(grid_url(results, name="results-grid-amend"), {**good, field: value})
            assert response.status_code < 500, (field, value)
    for value in HOSTILE:
        assert admin.get(grid_url(results), {"amend": value, "term": value}).status_code < 500
