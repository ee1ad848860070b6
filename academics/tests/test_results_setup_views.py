"""Results set-up pages: the school admin sets subjects, teachers, assessments, the grade scale, the
settings and the comment bank; a teacher is refused (403), another school's admin finds nothing (404),
and a refused form shows why and changes nothing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.models import AssessmentComponent, CommentBank, GradeBand, Subject, SubjectTeacher
from academics.results.policy import policy_for
from academics.results.setup_grading import comment_bank
from schools.tests import factories as f

from .factories import next_term, slot, staff

pytestmark = pytest.mark.django_db
BASE = "/s/greenfield/results/setup/"
PAGES = ("", "subjects/", "teachers/", "assessments/", "grade-scale/", "settings/", "comments/")


@pytest.fixture
def admin(verified_client, alice):
    return verified_client(alice)


def components_post(term, rows, **extra):
    data = {"term_id": term.pk, **extra}
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"c-{n}-{key}"] = value
    return data


def saved_rows(term):
    return [
        {"id": c.pk, "name": c.name, "max_score": f"{c.max_score:f}", "weight": f"{c.weight:f}"}
        for c in AssessmentComponent.objects.filter(term=term).order_by("position")
    ]


def text(response):
    return response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_the_admin_reads_every_set_up_page(school, admin, results, page):
    response = admin.get(BASE + page)
    assert response.status_code == 200
    assert 'aria-label="Results set-up"' in text(response)


@pytest.mark.parametrize("page", PAGES)
def test_a_teacher_is_refused_the_set_up(school, teacher, verified_client, results, page):
    assert verified_client(teacher).get(BASE + page).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_another_schools_admin_finds_no_set_up(school, charlie, verified_client, page):
    assert verified_client(charlie).get(BASE + page).status_code == 404


def test_the_overview_sums_up_the_set_up(school, admin, results):
    body = text(admin.get(BASE))
    assert "JSS 1: 4" in body and "CA1: out of 10, 10%" in body
    assert "1</strong> of 4 class subjects have a teacher" in body
    assert "Nigerian secondary (A1–F9): A1, B2" in body


# --- Subjects --------------------------------------------------------------------------------------


def test_the_admin_adds_edits_and_retires_subjects(school, admin, results):
    added = admin.post(BASE + "subjects/", {"name": "Civic Education", "level": "JSS 1", "kind": "core", "position": 5})
    assert added.status_code == 302
    civic = Subject.objects.get(name="Civic Education")
    page = text(admin.get(BASE + "subjects/"))
    assert "Civic Education" in page and "JSS 1 <span" in page
    edited = admin.post(
        f"{BASE}subjects/{civic.pk}/",
        {"name": "Civics", "code": "civ", "level": "JSS 1", "kind": "elective", "position": 6, "is_active": "on"},
    )
    assert edited.status_code == 302
    civic.refresh_from_db()
    assert (civic.name, civic.code, civic.kind) == ("Civics", "CIV", "elective")
    assert admin.post(f"{BASE}subjects/{civic.pk}/retire/").status_code == 302
    assert not Subject.objects.filter(pk=civic.pk).exists()


def test_a_duplicate_subject_is_refused_beside_its_name(school, admin, results):
    response = admin.post(BASE + "subjects/", {"name": "MATHEMATICS", "level": "JSS 1", "kind": "core", "position": 0})
    assert response.status_code == 400
    assert "JSS 1 already has a subject called MATHEMATICS." in text(response)
    assert Subject.objects.filter(school=school).count() == 4


def test_another_schools_subject_is_404(school, other_school, admin, results):
    f.ClassGroupFactory(school=other_school, name="RVC JSS 1B", level="JSS 1")
    theirs = Subject.objects.create(school=other_school, name="Latin", level="JSS 1")
    assert admin.get(f"{BASE}subjects/{theirs.pk}/").status_code == 404
    assert admin.post(f"{BASE}subjects/{theirs.pk}/retire/").status_code == 404
    assert Subject.objects.filter(pk=theirs.pk, is_active=True).exists()


# --- Teachers --------------------------------------------------------------------------------------


def test_the_admin_names_subject_teachers_in_the_grid(school, admin, results):
    bola = staff(school, "Bola", "Ade")
    english = results.subject("English Language")
    key = f"t-{results.group.pk}-{english.pk}"
    page = text(admin.get(BASE + "teachers/"))
    assert f'name="{key}"' in page and "Teacher of English Language for GFA JSS 1A" in page
    response = admin.post(BASE + "teachers/", {"term_id": results.term.pk, key: bola.pk})
    assert response.status_code == 302
    assert SubjectTeacher.objects.get(subject=english).teacher == bola
    # clearing the maths cell leaves English as it is
    maths_key = f"t-{results.group.pk}-{results.subject('Mathematics').pk}"
    admin.post(BASE + "teachers/", {"term_id": results.term.pk, maths_key: ""})
    assert list(SubjectTeacher.objects.values_list("subject__name", flat=True)) == ["English Language"]


def test_a_teacher_not_on_the_list_is_refused_and_nothing_is_saved(school, other_school, admin, results):
    bola, rita = staff(school, "Bola", "Ade"), staff(other_school, "Rita", "Eze")
    english, science = results.subject("English Language"), results.subject("Basic Science")
    data = {
        "term_id": results.term.pk,
        f"t-{results.group.pk}-{english.pk}": bola.pk,
        f"t-{results.group.pk}-{science.pk}": rita.pk,
    }
    response = admin.post(BASE + "teachers/", data)
    assert response.status_code == 400
    assert "Choose a teacher from the list." in text(response)
    assert not SubjectTeacher.objects.filter(subject__in=[english, science]).exists()


def test_the_timetable_fills_the_teachers_and_says_how_many(school, admin, results):
    bola = staff(school, "Bola", "Ade")
    slot(school, class_group=results.group, term=results.term, subject="english language", teacher=bola)
    slot(
        school,
        class_group=results.group,
        term=results.term,
        subject="Assembly",
        teacher=bola,
        start="11:00",
        end="12:00",
    )
    response = admin.post(BASE + "teachers/from-timetable/", {"term_id": results.term.pk}, follow=True)
    assert "From the timetable: 1 named, 0 already had a teacher. No subject matches: Assembly." in text(response)
    assert "from the timetable" in text(response)


def test_another_schools_term_is_404(school, other_school, admin, results):
    theirs = other_school.current_term()
    assert admin.get(BASE + "teachers/", {"term_id": theirs.pk}).status_code == 404
    assert admin.get(BASE + "assessments/", {"term_id": theirs.pk}).status_code == 404
    assert admin.post(BASE + "assessments/", components_post(theirs, [])).status_code == 404
    assert admin.get(BASE + "assessments/", {"term_id": "²"}).status_code == 404


# --- Assessments -----------------------------------------------------------------------------------


def test_the_admin_changes_the_assessments_with_blank_rows_to_spare(school, admin, results):
    page = text(admin.get(BASE + "assessments/"))
    assert 'name="c-6-name"' in page and 'name="c-7-name"' not in page  # four saved, three blank
    assert "Weights add up to <output>100</output>%" in page
    rows = saved_rows(results.term)
    rows[3] = {**rows[3], "weight": "50"}
    rows.append({"name": "Homework", "max_score": "10", "weight": "10"})
    response = admin.post(BASE + "assessments/", components_post(results.term, rows))
    assert response.status_code == 302
    assert [(c.name, c.weight) for c in AssessmentComponent.objects.filter(term=results.term).order_by("position")] == [
        ("CA1", Decimal("10")),
        ("CA2", Decimal("10")),
        ("Project", Decimal("20")),
        ("Exam", Decimal("50")),
        ("Homework", Decimal("10")),
    ]


def test_weights_off_a_hundred_are_refused_with_the_total_and_nothing_changes(school, admin, results):
    before = saved_rows(results.term)
    rows = [dict(row) for row in before]
    rows[0]["weight"] = "15"
    rows[2]["max_score"] = "0"
    response = admin.post(BASE + "assessments/", components_post(results.term, rows, **{"c-1-remove": "1"}))
    assert response.status_code == 400
    body = text(response)
    assert "The weights add up to 95; they must add up to 100." in body
    assert "Enter a number above 0 up to 1000." in body
    assert saved_rows(results.term) == before


def test_the_running_total_answers_as_weights_are_typed(school, admin, results):
    rows = [{"name": "CA", "max_score": "10", "weight": "30"}, {"name": "Exam", "max_score": "60", "weight": "60"}]
    response = admin.post(
        BASE + "assessments/", components_post(results.term, rows, preview="1"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Weights add up to <output>90</output>% — they must add up to 100" in text(response)
    assert AssessmentComponent.objects.filter(term=results.term).count() == 4


def test_a_term_copies_the_previous_terms_assessments(school, admin, results):
    second = next_term(school)
    page = text(admin.get(BASE + "assessments/", {"term_id": second.pk}))
    assert f"Copy from {results.term}" in page
    response = admin.post(BASE + "assessments/copy/", {"term_id": second.pk, "from_term_id": results.term.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"?term_id={second.pk}")
    assert AssessmentComponent.objects.filter(term=second).count() == 4
    empty = admin.post(BASE + "assessments/copy/", {"term_id": results.term.pk, "from_term_id": "²"})
    assert empty.status_code == 400 and "Choose a term to copy from." in text(empty)


# --- Grade scale, settings, comments -----------------------------------------------------------------


def band_post(name, bands, **extra):
    data = {"name": name, **extra}
    for n, (letter, low, high) in enumerate(bands):
        data.update({f"b-{n}-letter": letter, f"b-{n}-min_score": low, f"b-{n}-max_score": high})
    return data


def test_a_scale_with_a_gap_is_refused_with_the_gap_named(school, admin):
    policy = policy_for(school)
    response = admin.post(
        BASE + "grade-scale/", band_post("Nigerian secondary (A1–F9)", [("A", "70", "100"), ("F", "0", "59.9")])
    )
    assert response.status_code == 400
    assert "Gap: no band covers 60.0 to 69.9." in text(response)
    assert GradeBand.objects.filter(scale=policy.grade_scale).count() == 9


def test_the_admin_makes_a_new_scale_and_uses_it(school, admin):
    response = admin.post(
        BASE + "grade-scale/",
        band_post("Pass or fail", [("P", "50", "100"), ("F", "0", "49.9")], scale_id="new", use="on"),
    )
    assert response.status_code == 302
    assert policy_for(school).grade_scale.name == "Pass or fail"
    assert admin.post(BASE + "grade-scale/use/", {"preset": "us"}).status_code == 302
    assert policy_for(school).grade_scale.name == "US letter grades (A–F)"
    refused = admin.post(BASE + "grade-scale/use/", {"preset": "uk"})
    assert refused.status_code == 400 and "Choose one of the preset scales." in text(refused)


def test_the_settings_take_money_in_major_units(school, admin):
    form = {"show_subject_position": "on", "withhold": "45,000.50", "link_days": "30"}
    assert admin.post(BASE + "settings/", form).status_code == 302
    policy = policy_for(school)
    assert (policy.show_class_position, policy.show_subject_position) == (False, True)
    assert (policy.withhold_owing_above_minor, policy.link_days) == (4500050, 30)
    assert 'value="45,000.50"' in text(admin.get(BASE + "settings/"))
    bad = admin.post(BASE + "settings/", {"withhold": "lots", "link_days": "400"})
    assert bad.status_code == 400
    assert policy_for(school).link_days == 30 and policy_for(school).show_subject_position is True


def test_the_admin_adds_and_removes_bank_comments(school, other_school, admin):
    assert admin.post(BASE + "comments/", {"kind": "head", "text": "Brilliant work."}).status_code == 302
    entry = CommentBank.objects.get(school=school, text="Brilliant work.")
    twice = admin.post(BASE + "comments/", {"kind": "head", "text": "brilliant work."})
    assert twice.status_code == 400 and "The bank has this comment already." in text(twice)
    assert admin.post(BASE + "comments/remove/", {"entry": entry.pk}).status_code == 302
    theirs = comment_bank(other_school)[0]
    assert admin.post(BASE + "comments/remove/", {"entry": theirs.pk}).status_code == 404
    assert CommentBank.objects.filter(pk=theirs.pk).exists()


def test_the_teachers_grid_reads_a_constant_number_of_queries(school, admin, results):
    admin.get(BASE + "teachers/")
    with CaptureQueriesContext(connection) as few:
        admin.get(BASE + "teachers/")
    for n in range(3):
        group = f.ClassGroupFactory(school=school, name=f"GFA JSS 1{n}X", level="JSS 1")
        SubjectTeacher.objects.create(
            school=school, term=results.term, class_group=group, subject=results.subjects[1], teacher=staff(school)
        )
    with CaptureQueriesContext(connection) as many:
        admin.get(BASE + "teachers/")
    assert len(many) == len(few)
