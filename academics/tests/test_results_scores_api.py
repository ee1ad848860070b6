"""Score entry's API: the grids a member may open, reading and saving a grid, one cell (with the 409
that says what changed), locks and amendments; another school's ids are 404."""

import pytest

from academics.models import ResultsLock, Score, ScoreAmendment
from academics.results import compute

pytestmark = pytest.mark.django_db
BASE = "/api/v1/schools/greenfield/results/"


def grid_path(world, subject="Mathematics"):
    return f"{BASE}grids/{world.term.pk}/{world.group.pk}/{world.subject(subject).pk}/"


def text_of(world, pupil, component):
    score = Score.objects.filter(row__student=pupil, component=world.component(component)).first()
    return str(compute.Cell(value=score.value, absent=score.absent)) if score else ""


@pytest.fixture
def teacher_api(api, teacher):
    api.force_authenticate(teacher)
    return api


@pytest.fixture
def admin_api(api, alice):
    api.force_authenticate(alice)
    return api


def test_the_list_has_the_teachers_grids_of_the_current_term(results, teacher_api):
    results.fill(results.pupils[0], "Mathematics", "1", "2", "3", "4")
    response = teacher_api.get(f"{BASE}grids/")
    assert response.status_code == 200
    (only,) = response.json()["results"]
    assert (only["subject"]["name"], only["filled"], only["expected"], only["locked"]) == ("Mathematics", 4, 16, False)
    assert teacher_api.get(f"{BASE}grids/", {"term": "x"}).status_code == 400
    assert teacher_api.get(f"{BASE}grids/", {"term": 999999}).status_code == 404


def test_a_grid_reads_with_versions_cells_totals_and_grades(results, teacher_api):
    a = results.pupils[0]
    results.fill(a, "Mathematics", "8", "7", "15", "45")
    body = teacher_api.get(grid_path(results)).json()
    assert [c["name"] for c in body["components"]] == ["CA1", "CA2", "Project", "Exam"]
    row = next(r for r in body["rows"] if r["student_id"] == a.pk)
    assert (row["version"], row["total"], row["grade"], row["complete"]) == (1, "75.0", "A1", True)
    assert row["cells"][str(results.component("Exam").pk)] == "45"


def test_a_bulk_save_applies_and_returns_conflicts(results, teacher_api):
    a, b = results.pupils[:2]
    ca1, exam = str(results.component("CA1").pk), str(results.component("Exam").pk)
    results.put(a, "Mathematics", CA1="9")
    rows = [
        {"student_id": a.pk, "version": 0, "cells": {ca1: {"seen": "", "new": "3"}, exam: {"seen": "", "new": "50"}}},
        {"student_id": b.pk, "version": 0, "cells": {ca1: {"seen": None, "new": "ABS"}}},
    ]
    response = teacher_api.put(grid_path(results), {"rows": rows}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] == 2
    (conflict,) = body["conflicts"]
    assert (conflict["student_id"], conflict["text"], conflict["mine"], conflict["version"]) == (a.pk, "9", "3", 2)
    assert (text_of(results, a, "CA1"), text_of(results, a, "Exam"), text_of(results, b, "CA1")) == ("9", "50", "ABS")


def test_a_bulk_save_with_a_bad_cell_is_a_400_naming_it_and_saves_nothing(results, teacher_api):
    a = results.pupils[0]
    ca1 = results.component("CA1").pk
    rows = [{"student_id": a.pk, "version": 0, "cells": {str(ca1): {"seen": "", "new": "10.5"}}}]
    response = teacher_api.put(grid_path(results), {"rows": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "score_invalid"
    assert f"cell-{a.pk}-{ca1}" in response.json()["error"]["fields"]
    bad_key = [{"student_id": a.pk, "version": 0, "cells": {"CA1": {"new": "5"}}}]
    assert teacher_api.put(grid_path(results), {"rows": bad_key}, format="json").status_code == 400
    assert not Score.objects.exists()


def test_a_cell_save_answers_the_row_and_a_conflict_is_a_409_with_what_changed(results, teacher_api, alice):
    alice.first_name, alice.last_name = "Alice", "Admin"
    alice.save()
    a = results.pupils[0]
    body = {"student_id": a.pk, "component_id": results.component("CA1").pk, "text": "5", "seen_version": 0}
    first = teacher_api.post(f"{grid_path(results)}cells/", {**body, "seen_text": ""}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 1
    results.put(a, "Mathematics", CA1="8")
    row = a.score_rows.get()
    row.updated_by = alice
    row.save()
    stale = teacher_api.post(
        f"{grid_path(results)}cells/", {**body, "text": "6", "seen_version": 1, "seen_text": "5"}, format="json"
    )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "score_conflict"
    conflict = error["fields"]["conflict"]
    assert (conflict["text"], conflict["mine"], conflict["updated_by"], conflict["version"]) == (
        "8",
        "6",
        "Alice Admin",
        2,
    )
    assert conflict["row"]["cells"][str(results.component("CA1").pk)] == "8"


def test_another_teachers_grid_is_a_403_and_another_schools_a_404(results, teacher_api, charlie, api):
    assert teacher_api.get(grid_path(results, "English Language")).status_code == 403
    assert teacher_api.put(grid_path(results, "English Language"), {"rows": []}, format="json").status_code == 403
    api.force_authenticate(charlie)
    assert api.get(grid_path(results)).status_code == 404
    riverside = grid_path(results).replace("/greenfield/", "/riverside/")
    assert api.get(riverside).status_code == 404


def test_a_teacher_cannot_lock_or_amend(results, teacher_api):
    lock = teacher_api.post(f"{BASE}locks/", {"term": results.term.pk, "class_group": results.group.pk}, format="json")
    assert lock.status_code == 403
    assert not ResultsLock.objects.exists()


def test_locking_refuses_saves_until_unlocked(results, admin_api):
    body = {"term": results.term.pk, "class_group": results.group.pk}
    assert admin_api.post(f"{BASE}locks/", body, format="json").status_code == 201
    assert admin_api.post(f"{BASE}locks/", body, format="json").status_code == 200
    a = results.pupils[0]
    cell = {"student_id": a.pk, "component_id": results.component("CA1").pk, "text": "5", "seen_version": 0}
    locked = admin_api.post(f"{grid_path(results)}cells/", cell, format="json")
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "results_locked"
    assert admin_api.get(grid_path(results)).json()["locked"] is True
    unlock = f"{BASE}locks/{results.term.pk}/{results.group.pk}/"
    assert admin_api.delete(unlock).status_code == 204
    assert admin_api.delete(unlock).status_code == 404
    assert admin_api.post(f"{grid_path(results)}cells/", cell, format="json").status_code == 200


def test_an_amendment_needs_a_lock_and_a_reason(results, admin_api):
    a = results.pupils[0]
    results.put(a, "Mathematics", Exam="40")
    body = {
        "term": results.term.pk,
        "class_group": results.group.pk,
        "subject": results.subject("Mathematics").pk,
        "student": a.pk,
        "component": results.component("Exam").pk,
        "text": "44",
        "reason": "Re-marked",
    }
    unlocked = admin_api.post(f"{BASE}amendments/", body, format="json")
    assert unlocked.status_code == 400 and unlocked.json()["error"]["code"] == "results_not_locked"
    ResultsLock.objects.create(school=results.school, term=results.term, class_group=results.group)
    no_reason = admin_api.post(f"{BASE}amendments/", {**body, "reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    done = admin_api.post(f"{BASE}amendments/", body, format="json")
    assert done.status_code == 201
    assert done.json()["cells"][str(results.component("Exam").pk)] == "44"
    amendment = ScoreAmendment.objects.get()
    assert (amendment.old_value, amendment.new_value) == (40, 44)
