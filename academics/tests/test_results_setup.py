"""Results set-up services: subjects, subject teachers (by hand and from the timetable), a term's
assessment components, grade scales, the results policy and the comment bank."""

from decimal import Decimal

import pytest

from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import AssessmentComponent, CommentBank, GradeBand, ResultsLock, Subject, SubjectTeacher
from academics.results import setup, setup_grading
from academics.results.policy import policy_for
from classpoint.models import AuditLog
from schools.tests import factories as f

from .factories import next_term, slot, staff

pytestmark = pytest.mark.django_db
D = Decimal
FOUR = [
    {"name": "CA1", "max_score": "10", "weight": "10"},
    {"name": "CA2", "max_score": "10", "weight": "10"},
    {"name": "Project", "max_score": "20", "weight": "20"},
    {"name": "Exam", "max_score": "60", "weight": "60"},
]


def refused(call, **kwargs):
    with pytest.raises(AcademicsError) as caught:
        call(**kwargs)
    return caught.value


def rows_of(results):
    """The term's components as components_set takes them, with their ids."""
    return [
        {"id": c.pk, "name": c.name, "max_score": str(c.max_score), "weight": str(c.weight)}
        for c in AssessmentComponent.objects.filter(term=results.term).order_by("position")
    ]


def band(letter, low, high, remark="", points="0"):
    return {"letter": letter, "min_score": low, "max_score": high, "remark": remark, "points": points}


# --- Subjects --------------------------------------------------------------------------------------


def test_a_subject_is_created_for_a_level_of_the_school_and_audited(school, alice, results):
    subject = setup.subject_create(
        school=school, actor=alice, name=" Civic Education ", code="cve", level="JSS 1", kind="elective", position=7
    )
    assert (subject.name, subject.code, subject.level, subject.kind, subject.position) == (
        "Civic Education",
        "CVE",
        "JSS 1",
        "elective",
        7,
    )
    entry = AuditLog.objects.get(action="results.subject_created")
    assert entry.actor == alice and entry.changes["name"] == "Civic Education"


def test_a_subject_name_is_taken_once_per_level_whatever_its_case(school, alice, results):
    error = refused(setup.subject_create, school=school, actor=alice, name="mathematics", level="JSS 1")
    assert error.code == AcademicsErrorCode.RESULTS_INVALID
    assert error.fields == {"name": ["JSS 1 already has a subject called mathematics."]}
    f.ClassGroupFactory(school=school, name="GFA JSS 2A", level="JSS 2")
    other = setup.subject_create(school=school, actor=alice, name="Mathematics", level="JSS 2")
    assert other.level == "JSS 2"
    assert Subject.objects.filter(school=school, name__iexact="mathematics").count() == 2


def test_a_subject_needs_a_level_a_class_of_the_school_is_in(school, other_school, alice, results):
    f.ClassGroupFactory(school=other_school, name="RVC SS 3A", level="SS 3")
    error = refused(setup.subject_create, school=school, actor=alice, name="Physics", level="SS 3", kind="major")
    assert set(error.fields) == {"level", "kind"}
    assert not Subject.objects.filter(school=school, name="Physics").exists()


def test_a_subject_with_scores_keeps_its_level(school, alice, results):
    f.ClassGroupFactory(school=school, name="GFA JSS 2A", level="JSS 2")
    results.fill(results.pupils[0], "Mathematics", 5, 5, 10, 30)
    maths = results.subject("Mathematics")
    error = refused(setup.subject_update, school=school, actor=alice, subject=maths, level="JSS 2")
    assert error.fields == {"level": ["Scores were entered for this subject: it stays in its level."]}
    renamed = setup.subject_update(school=school, actor=alice, subject=maths, name="Maths", position=3)
    assert (renamed.name, renamed.level, renamed.position) == ("Maths", "JSS 1", 3)


def test_moving_a_subject_to_another_level_drops_its_teachers(school, alice, results):
    f.ClassGroupFactory(school=school, name="GFA JSS 2A", level="JSS 2")
    maths = results.subject("Mathematics")
    setup.subject_update(school=school, actor=alice, subject=maths, level="JSS 2")
    assert not SubjectTeacher.objects.filter(subject=maths).exists()


def test_retiring_a_subject_with_scores_keeps_it_inactive_and_one_without_deletes_it(school, alice, results):
    results.put(results.pupils[0], "French", CA1="4")
    assert setup.subject_retire(school=school, actor=alice, subject=results.subject("French")) == "retired"
    assert setup.subject_retire(school=school, actor=alice, subject=results.subject("Basic Science")) == "deleted"
    assert Subject.objects.get(name="French").is_active is False
    assert not Subject.objects.filter(name="Basic Science").exists()
    assert {e.action for e in AuditLog.objects.filter(action__startswith="results.subject_")} == {
        "results.subject_retired",
        "results.subject_deleted",
    }


# --- Subject teachers ------------------------------------------------------------------------------


def test_a_subject_teacher_is_set_replaced_and_cleared(school, alice, results):
    bola = staff(school, "Bola", "Ade")
    english = results.subject("English Language")
    row = setup.subject_teacher_set(
        school=school, actor=alice, term=results.term, class_group=results.group, subject=english, teacher=bola
    )
    assert (row.teacher, row.from_timetable) == (bola, False)
    setup.subject_teacher_set(
        school=school, actor=alice, term=results.term, class_group=results.group, subject=english, teacher=None
    )
    assert not SubjectTeacher.objects.filter(subject=english).exists()
    assert AuditLog.objects.filter(action="results.subject_teacher_set").count() == 2


def test_a_subject_teacher_must_teach_the_classs_level(school, alice, results):
    f.ClassGroupFactory(school=school, name="GFA JSS 2A", level="JSS 2")
    physics = setup.subject_create(school=school, actor=alice, name="Physics", level="JSS 2")
    clerk = staff(school, "Femi", "Clerk", is_teacher=False)
    error = refused(
        setup.subject_teacher_set,
        school=school,
        actor=alice,
        term=results.term,
        class_group=results.group,
        subject=physics,
        teacher=clerk,
    )
    assert set(error.fields) == {"subject", "teacher"}
    assert error.fields["subject"] == ["Physics is not a subject of JSS 1."]
    assert not SubjectTeacher.objects.filter(subject=physics).exists()


def test_the_timetable_names_teachers_where_none_is_named(school, alice, results):
    # given: Mathematics is already Ada's; the timetable has English by Bola (three lessons) and by
    # Chidi (one), basic science by Chidi (named in lower case), and an assembly no subject matches
    bola, chidi = staff(school, "Bola", "Ade"), staff(school, "Chidi", "Eze")
    group, term = results.group, results.term
    for day in (1, 2, 3):
        slot(school, class_group=group, term=term, subject="English Language", teacher=bola, weekday=day)
    slot(school, class_group=group, term=term, subject="English Language", teacher=chidi, weekday=4)
    slot(school, class_group=group, term=term, subject="basic science", teacher=chidi, weekday=5)
    slot(
        school,
        class_group=group,
        term=term,
        subject="Mathematics",
        teacher=chidi,
        weekday=5,
        start="11:00",
        end="12:00",
    )
    slot(school, class_group=group, term=term, subject="Assembly", teacher=chidi, weekday=1, start="07:30", end="08:00")

    # when
    result = setup.subject_teachers_from_timetable(school=school, actor=alice, term=term)

    # then
    assert (result.made, result.already, result.unmatched) == (2, 1, ["Assembly"])
    teachers = {row.subject.name: (row.teacher, row.from_timetable) for row in SubjectTeacher.objects.all()}
    assert teachers == {
        "Mathematics": (results.teacher_staff, False),
        "English Language": (bola, True),
        "Basic Science": (chidi, True),
    }
    again = setup.subject_teachers_from_timetable(school=school, actor=alice, term=term)
    assert (again.made, again.already) == (0, 3)


# --- Assessment components -------------------------------------------------------------------------


def test_components_are_replaced_in_order(school, alice, results):
    rows = rows_of(results)
    rows[0]["name"], rows[1]["name"] = rows[1]["name"], rows[0]["name"]  # CA1 and CA2 swap names
    rows[2:] = [
        {"name": "Test", "max_score": "30", "weight": "30"},
        {"name": "Exam", "max_score": "100", "weight": "50"},
    ]
    saved = setup.components_set(school=school, actor=alice, term=results.term, components=rows)
    assert [(c.name, c.max_score, c.weight, c.position) for c in saved] == [
        ("CA2", D("10"), D("10"), 0),
        ("CA1", D("10"), D("10"), 1),
        ("Test", D("30"), D("30"), 2),
        ("Exam", D("100"), D("50"), 3),
    ]
    assert AssessmentComponent.objects.filter(term=results.term).count() == 4
    assert AuditLog.objects.filter(action="results.components_set").exists()


@pytest.mark.parametrize(
    ("weights", "total"), [(("10", "10", "20", "59"), "99"), (("10", "10", "20", "60.5"), "100.5")]
)
def test_weights_must_add_up_to_exactly_one_hundred(school, alice, results, weights, total):
    before = rows_of(results)
    rows = [{**row, "weight": weight} for row, weight in zip(FOUR, weights, strict=True)]
    error = refused(setup.components_set, school=school, actor=alice, term=results.term, components=rows)
    assert error.code == AcademicsErrorCode.RESULTS_INVALID
    assert error.fields == {"components": [f"The weights add up to {total}; they must add up to 100."]}
    assert rows_of(results) == before


def test_each_component_needs_a_unique_name_a_positive_maximum_and_weight(school, alice, results):
    rows = [
        {"name": "CA", "max_score": "0", "weight": "20"},
        {"name": "ca", "max_score": "2000", "weight": "0"},
        {"name": "", "max_score": "ten", "weight": "80"},
    ]
    error = refused(setup.components_set, school=school, actor=alice, term=results.term, components=rows)
    assert error.fields["components.0.max_score"] == ["Enter a number above 0 up to 1000."]
    assert error.fields["components.1.name"] == ["Two components are called ca."]
    assert set(error.fields) == {
        "components.0.max_score",
        "components.0.name",
        "components.1.name",
        "components.1.max_score",
        "components.1.weight",
        "components.2.name",
        "components.2.max_score",
    }


def test_a_component_with_scores_cannot_be_removed_or_lowered_below_a_score(school, alice, results):
    results.put(results.pupils[0], "Mathematics", Project="18")
    results.put(results.pupils[1], "English Language", Exam="ABS")
    rows = rows_of(results)
    without_exam = [rows[0], rows[1], {**rows[2], "weight": "80"}]
    error = refused(setup.components_set, school=school, actor=alice, term=results.term, components=without_exam)
    assert error.code == AcademicsErrorCode.COMPONENT_IN_USE and error.status_code == 409
    assert error.fields == {"components": ["Scores were entered for Exam: it cannot be removed."]}
    lowered = [rows[0], rows[1], {**rows[2], "max_score": "15"}, rows[3]]
    error = refused(setup.components_set, school=school, actor=alice, term=results.term, components=lowered)
    assert error.fields == {"components.2.max_score": ["A score of 18 was entered: the maximum stays at least that."]}
    raised = [rows[0], rows[1], {**rows[2], "max_score": "18"}, rows[3]]
    setup.components_set(school=school, actor=alice, term=results.term, components=raised)
    assert results.component("Project").max_score == D("20")  # the fixture's copy
    assert AssessmentComponent.objects.get(name="Project").max_score == D("18")


def test_a_locked_term_refuses_any_change_to_its_components(school, alice, results):
    ResultsLock.objects.create(school=school, term=results.term, class_group=results.group)
    rows = rows_of(results)
    error = refused(
        setup.components_set,
        school=school,
        actor=alice,
        term=results.term,
        components=[{**rows[0], "name": "Test 1"}, *rows[1:]],
    )
    assert error.code == AcademicsErrorCode.RESULTS_LOCKED and error.status_code == 409
    assert rows_of(results) == rows
    # the same set again changes nothing, so it is no change to refuse
    assert len(setup.components_set(school=school, actor=alice, term=results.term, components=rows)) == 4


def test_components_are_copied_to_the_next_term(school, alice, results):
    second = next_term(school)
    error = refused(setup.components_copy, school=school, actor=alice, from_term=second, to_term=results.term)
    assert error.fields == {"from_term": ["Second term 2026/2027 has no assessment components to copy."]}
    copied = setup.components_copy(school=school, actor=alice, from_term=results.term, to_term=second)
    assert [(c.name, c.max_score, c.weight, c.term_id) for c in copied] == [
        ("CA1", D("10"), D("10"), second.pk),
        ("CA2", D("10"), D("10"), second.pk),
        ("Project", D("20"), D("20"), second.pk),
        ("Exam", D("60"), D("60"), second.pk),
    ]
    error = refused(setup.components_copy, school=school, actor=alice, from_term=second, to_term=second)
    assert error.fields == {"from_term": ["Choose another term to copy from."]}


# --- Grade scales, policy ----------------------------------------------------------------------------


def test_a_scale_with_a_gap_is_refused_with_the_gap_named(school, alice):
    bands = [band("A", "70", "100"), band("B", "50", "64.9"), band("F", "0", "49.9")]
    error = refused(setup_grading.grade_scale_save, school=school, actor=alice, name="Ours", bands=bands)
    assert error.code == AcademicsErrorCode.RESULTS_INVALID
    assert error.fields == {"bands": ["Gap: no band covers 65.0 to 69.9."]}
    assert "Gap: no band covers 65.0 to 69.9." in error.message


def test_a_scale_with_an_overlap_or_short_of_a_hundred_is_refused(school, alice):
    bands = [band("A", "70", "99"), band("B", "50", "70"), band("F", "0", "49.9")]
    error = refused(setup_grading.grade_scale_save, school=school, actor=alice, name="Ours", bands=bands)
    assert error.fields == {"bands": ["No band covers totals from 99.1 to 100.", "Overlap: B and A both cover 70.0."]}
    assert not GradeBand.objects.filter(scale__name="Ours").exists()


def test_band_fields_are_checked_one_by_one(school, alice):
    bands = [band("", "70.55", "100"), band("TOOLONG", "0", "101", points="-1")]
    error = refused(setup_grading.grade_scale_save, school=school, actor=alice, name="", bands=bands)
    assert error.fields == {"name": ["Enter the scale's name."]}
    error = refused(setup_grading.grade_scale_save, school=school, actor=alice, name="Ours", bands=bands)
    assert set(error.fields) == {
        "bands.0.letter",
        "bands.0.min_score",
        "bands.1.letter",
        "bands.1.max_score",
        "bands.1.points",
    }


def test_a_scale_is_saved_then_its_bands_replaced(school, alice):
    bands = [band("P", "50", "100", "Pass", "1"), band("F", "0", "49.9", "Fail")]
    scale = setup_grading.grade_scale_save(school=school, actor=alice, name="Pass/fail", bands=bands)
    assert [(b.letter, b.min_score, b.max_score) for b in scale.bands.order_by("-min_score")] == [
        ("P", D("50.0"), D("100.0")),
        ("F", D("0.0"), D("49.9")),
    ]
    bands[0]["min_score"], bands[1]["max_score"] = "40", "39.9"
    again = setup_grading.grade_scale_save(school=school, actor=alice, name="Pass/fail", bands=bands)
    assert again.pk == scale.pk and scale.bands.get(letter="P").min_score == D("40.0")
    assert scale.bands.count() == 2


def test_a_preset_becomes_the_schools_scale(school, alice):
    assert policy_for(school).grade_scale.name == "Nigerian secondary (A1–F9)"
    scale = setup_grading.grade_scale_from_preset(school=school, actor=alice, preset="us", use=True)
    assert policy_for(school).grade_scale == scale and scale.bands.count() == 5
    error = refused(setup_grading.grade_scale_from_preset, school=school, actor=alice, preset="uk")
    assert error.fields == {"preset": ["Choose one of the preset scales."]}


def test_the_policy_changes_what_is_given_and_refuses_bad_values(school, other_school, alice):
    policy = setup_grading.results_policy_update(
        school=school, actor=alice, show_class_position=False, withhold_owing_above_minor=500000, link_days=30
    )
    assert (policy.show_class_position, policy.show_subject_position) == (False, True)
    assert (policy.withhold_owing_above_minor, policy.link_days) == (500000, 30)
    theirs = policy_for(other_school).grade_scale
    error = refused(
        setup_grading.results_policy_update,
        school=school,
        actor=alice,
        link_days=366,
        withhold_owing_above_minor=-1,
        grade_scale=theirs,
    )
    assert set(error.fields) == {"link_days", "withhold_owing_above_minor", "grade_scale"}
    policy.refresh_from_db()
    assert policy.link_days == 30
    off = setup_grading.results_policy_update(school=school, actor=alice, withhold_owing_above_minor=None)
    assert off.withhold_owing_above_minor is None
    assert AuditLog.objects.filter(action="results.policy_updated").count() == 2


# --- Comment bank ----------------------------------------------------------------------------------


def test_the_comment_bank_starts_with_a_dozen_comments_of_each_kind(school, other_school, alice):
    assert len(setup_grading.comment_bank(school, "form_teacher")) == 12
    assert len(setup_grading.comment_bank(school, "head")) == 12
    assert len(setup_grading.comment_bank(school)) == 24
    assert not CommentBank.objects.filter(school=other_school).exists()


def test_a_comment_is_added_once_and_removed(school, alice):
    entry = setup_grading.comment_bank_add(school=school, actor=alice, kind="head", text="  Brilliant work. ")
    assert entry.text == "Brilliant work." and setup_grading.comment_bank(school, "head")[-1] == entry
    error = refused(setup_grading.comment_bank_add, school=school, actor=alice, kind="head", text="brilliant WORK.")
    assert error.code == AcademicsErrorCode.COMMENT_INVALID and error.fields == {
        "text": ["The bank has this comment already."]
    }
    error = refused(setup_grading.comment_bank_add, school=school, actor=alice, kind="bursar", text="")
    assert set(error.fields) == {"kind", "text"}
    setup_grading.comment_bank_remove(school=school, actor=alice, entry=entry)
    assert len(setup_grading.comment_bank(school, "head")) == 12
