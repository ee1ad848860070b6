"""Score entry's services: what a cell accepts, how two teachers' saves meet, locking and amendments,
and who may enter which grid."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import AssessmentComponent, ResultsLock, Score, ScoreAmendment, ScoreRow, Subject
from academics.results import compute, grids, locks, scores
from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from schools.models import StaffProfile
from schools.tests import factories as f

from .results_factories import results_world

pytestmark = pytest.mark.django_db
Code = AcademicsErrorCode


def pupil_in(school, term, group, last_name):
    pupil = f.StudentFactory(school=school, last_name=last_name)
    f.enroll(pupil, term, group)
    return pupil


def refused(call):
    with pytest.raises(AcademicsError) as caught:
        call()
    return caught.value


def save(world, actor, pupil, component, text, *, version=None, seen=None, subject="Mathematics"):
    """One cell typed over what the grid showed (by default: what the row holds now)."""
    row = ScoreRow.objects.filter(term=world.term, subject=world.subject(subject), student=pupil).first()
    now = grids.grid(school=world.school, term=world.term, class_group=world.group, subject=world.subject(subject))
    shown = now.row(pupil.pk).cells[world.component(component).pk]
    return scores.score_cell_save(
        school=world.school,
        actor=actor,
        term=world.term,
        class_group=world.group,
        subject=world.subject(subject),
        student=pupil,
        component=world.component(component),
        text=text,
        seen_version=(row.version if row else 0) if version is None else version,
        seen_text=shown if seen is None else seen,
    )


def stored(world, pupil, component, subject="Mathematics"):
    score = Score.objects.filter(
        row__student=pupil, row__subject=world.subject(subject), component=world.component(component)
    ).first()
    return str(compute.Cell(value=score.value, absent=score.absent)) if score else ""


# --- what a cell accepts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [("7", "7"), ("7.5", "7.5"), ("7,25", "7.25"), ("0", "0"), ("10", "10"), ("abs", "ABS"), (" ", "")],
)
def test_a_cell_keeps_a_score_in_range_absent_or_blank(results, teacher, text, kept):
    pupil = results.pupils[0]
    state = save(results, teacher, pupil, "CA1", text)
    assert stored(results, pupil, "CA1") == kept
    assert state["cells"][str(results.component("CA1").pk)] == kept
    assert state["version"] == (0 if kept == "" else 1)


@pytest.mark.parametrize(
    ("text", "words"), [("11", "out of range"), ("-1", "out of range"), ("7.555", "decimals"), ("ten", "not a score")]
)
def test_a_cell_out_of_range_or_not_a_score_is_a_field_error_and_saves_nothing(results, teacher, text, words):
    pupil = results.pupils[0]
    error = refused(lambda: save(results, teacher, pupil, "CA1", text))
    assert error.code == Code.SCORE_INVALID
    field = f"cell-{pupil.pk}-{results.component('CA1').pk}"
    assert words in error.fields[field][0]
    assert not ScoreRow.objects.filter(student=pupil).exists()
    assert not AuditLog.objects.filter(action="scores.saved").exists()


def test_the_row_state_carries_total_and_grade_once_complete(results, teacher):
    pupil = results.pupils[0]
    save(results, teacher, pupil, "CA1", "8")
    state = save(results, teacher, pupil, "CA2", "7")
    assert (state["total"], state["grade"], state["complete"]) == ("15.0", "", False)
    save(results, teacher, pupil, "Project", "15")
    state = save(results, teacher, pupil, "Exam", "ABS")
    # 8/10*10 + 7/10*10 + 15/20*20 + 0 = 30.0 -> F9 on the default scale
    assert (state["total"], state["grade"], state["complete"]) == ("30.0", "F9", True)
    state = save(results, teacher, pupil, "Exam", "44.97")
    # 30 + 44.97 = 74.97 -> 75.0 shown (half-up), and the grade of the shown total: A1
    assert (state["total"], state["grade"], state["version"]) == ("75.0", "A1", 5)


def test_a_save_is_audited_once_with_what_the_cell_held(results, teacher):
    pupil = results.pupils[0]
    save(results, teacher, pupil, "CA1", "4")
    save(results, teacher, pupil, "CA1", "6")
    entries = AuditLog.objects.filter(action="scores.saved").order_by("id")
    assert [(e.changes["old"], e.changes["new"], e.changes["cells"]) for e in entries] == [("", "4", 1), ("4", "6", 1)]
    assert entries[0].actor == teacher


# --- two teachers -------------------------------------------------------------------------------


def test_a_stale_version_on_another_cell_merges_and_returns_the_whole_row(results, teacher, alice):
    pupil = results.pupils[0]
    save(results, teacher, pupil, "CA1", "5")  # version 1: both teachers open the grid here
    save(results, alice, pupil, "CA2", "9")  # version 2
    state = save(results, teacher, pupil, "Exam", "50", version=1, seen="")
    assert state["version"] == 3
    assert state["cells"][str(results.component("CA2").pk)] == "9"
    assert (stored(results, pupil, "CA2"), stored(results, pupil, "Exam")) == ("9", "50")


def test_a_stale_version_on_the_same_cell_conflicts_with_what_changed(results, teacher, alice):
    alice.first_name, alice.last_name = "Alice", "Admin"
    alice.save()
    pupil = results.pupils[0]
    save(results, teacher, pupil, "CA1", "5")  # version 1
    save(results, alice, pupil, "CA1", "8")  # version 2
    error = refused(lambda: save(results, teacher, pupil, "CA1", "6", version=1, seen="5"))
    assert error.code == Code.SCORE_CONFLICT and error.status_code == 409
    conflict = error.fields["conflict"]
    assert (conflict["text"], conflict["mine"], conflict["updated_by"], conflict["version"]) == (
        "8",
        "6",
        "Alice Admin",
        2,
    )
    assert conflict["row"]["cells"][str(results.component("CA1").pk)] == "8"
    assert stored(results, pupil, "CA1") == "8"
    # keeping theirs... or keeping mine: saved again over the version the conflict named
    state = save(results, teacher, pupil, "CA1", "6", version=conflict["version"], seen="8")
    assert (state["version"], stored(results, pupil, "CA1")) == (3, "6")


def test_saving_what_the_cell_already_holds_is_harmless_however_stale(results, teacher, alice):
    pupil = results.pupils[0]
    save(results, teacher, pupil, "CA1", "5")
    save(results, alice, pupil, "CA2", "3")
    # a retry after a lost answer: the save already went through
    state = save(results, teacher, pupil, "CA1", "5", version=0, seen="")
    assert state["version"] == 2


def test_a_grid_save_applies_what_it_can_and_returns_the_conflicts(results, teacher, alice):
    a, b = results.pupils[:2]
    ca1, exam = results.component("CA1").pk, results.component("Exam").pk
    save(results, alice, a, "CA1", "9")  # a's row moved to version 1 after the teacher read it
    rows = [
        {"student_id": a.pk, "version": 0, "cells": {ca1: {"seen": "", "new": "4"}, exam: {"seen": "", "new": "40"}}},
        {"student_id": b.pk, "version": 0, "cells": {ca1: {"seen": "", "new": "6"}, exam: {"seen": "", "new": ""}}},
    ]
    saved = scores.scores_grid_save(
        school=results.school,
        actor=teacher,
        term=results.term,
        class_group=results.group,
        subject=results.subject("Mathematics"),
        rows=rows,
    )
    assert saved.applied == 2
    assert [(c.student_id, c.component_id, c.theirs, c.mine) for c in saved.conflicts] == [(a.pk, ca1, "9", "4")]
    assert (stored(results, a, "CA1"), stored(results, a, "Exam"), stored(results, b, "CA1")) == ("9", "40", "6")
    entry = AuditLog.objects.filter(action="scores.saved").order_by("id").last()
    assert (entry.changes["cells"], entry.changes["rows"], entry.changes["conflicts"]) == (2, 2, 1)


def test_a_grid_save_with_one_bad_cell_saves_nothing_and_names_each_bad_cell(results, teacher):
    a, b = results.pupils[:2]
    ca1, exam = results.component("CA1").pk, results.component("Exam").pk
    rows = [
        {"student_id": a.pk, "version": 0, "cells": {ca1: {"seen": "", "new": "4"}}},
        {"student_id": b.pk, "version": 0, "cells": {ca1: {"seen": "", "new": "12"}, exam: {"seen": "", "new": "x"}}},
    ]
    error = refused(
        lambda: scores.scores_grid_save(
            school=results.school,
            actor=teacher,
            term=results.term,
            class_group=results.group,
            subject=results.subject("Mathematics"),
            rows=rows,
        )
    )
    assert error.code == Code.SCORE_INVALID
    assert set(error.fields) == {f"cell-{b.pk}-{ca1}", f"cell-{b.pk}-{exam}"}
    assert not Score.objects.exists()


def test_a_grid_save_of_a_whole_class_takes_a_handful_of_queries(results, teacher, school):
    pupils = results.pupils + [pupil_in(school, results.term, results.group, f"Pupil{n:02d}") for n in range(36)]
    # a fifth column (the weights need not add up for the grid to save)
    results.components.append(
        AssessmentComponent.objects.create(
            school=school, term=results.term, name="Quiz", max_score=10, weight=1, position=9
        )
    )
    texts = ["7", "8", "15", "45", "9"]

    def rows(offset):
        return [
            {
                "student_id": p.pk,
                "version": offset,
                "cells": {c.pk: {"seen": "", "new": texts[i]} for i, c in enumerate(results.components)},
            }
            for p in pupils
        ]

    membership = school.memberships.select_related("role").get(user=teacher)
    with CaptureQueriesContext(connection) as first:
        saved = scores.scores_grid_save(
            school=school,
            actor=teacher,
            term=results.term,
            class_group=results.group,
            subject=results.subject("Mathematics"),
            rows=rows(0),
            membership=membership,
        )
    assert saved.applied == len(pupils) * 5 >= 200
    # SQLite splits the upsert in two (at most 999 parameters a statement); savepoints count too
    assert len(first) <= 16, "\n".join(q["sql"][:150] for q in first.captured_queries)


# --- who may enter ------------------------------------------------------------------------------


def test_a_teacher_of_another_subject_is_refused(results, teacher):
    error = refused(lambda: save(results, teacher, results.pupils[0], "CA1", "5", subject="English Language"))
    assert error.code == Code.NOT_YOUR_SUBJECT
    assert not Score.objects.exists()


def test_a_teacher_of_the_subject_in_another_class_is_refused(results, teacher, school):
    other = f.ClassGroupFactory(school=school, name="GFA JSS 1B", level=results.group.level)
    pupil = pupil_in(school, results.term, other, "Zed")
    error = refused(
        lambda: scores.score_cell_save(
            school=school,
            actor=teacher,
            term=results.term,
            class_group=other,
            subject=results.subject("Mathematics"),
            student=pupil,
            component=results.component("CA1"),
            text="5",
            seen_version=0,
            seen_text="",
        )
    )
    assert error.code == Code.NOT_YOUR_SUBJECT


def test_a_results_manager_enters_any_grid(results, alice):
    state = save(results, alice, results.pupils[1], "CA1", "5", subject="English Language")
    assert state["version"] == 1


def test_a_pupil_not_in_the_class_is_a_field_error(results, teacher, school):
    stranger = f.StudentFactory(school=school, admission_number="GFA/0999")
    error = refused(
        lambda: scores.score_cell_save(
            school=school,
            actor=teacher,
            term=results.term,
            class_group=results.group,
            subject=results.subject("Mathematics"),
            student=stranger,
            component=results.component("CA1"),
            text="5",
            seen_version=0,
            seen_text="",
        )
    )
    assert error.code == Code.SCORE_INVALID and f"row-{stranger.pk}" in error.fields


def test_a_subject_of_another_level_is_refused(results, alice, school):
    senior = Subject.objects.create(school=school, name="Further Maths", level="SS 2")
    error = refused(
        lambda: scores.score_cell_save(
            school=school,
            actor=alice,
            term=results.term,
            class_group=results.group,
            subject=senior,
            student=results.pupils[0],
            component=results.component("CA1"),
            text="5",
            seen_version=0,
            seen_text="",
        )
    )
    assert error.code == Code.SUBJECT_NOT_FOUND


# --- locking and amendments ---------------------------------------------------------------------


def lock(world, actor):
    return locks.results_lock(school=world.school, actor=actor, term=world.term, class_group=world.group)


def amend(world, actor, pupil, component, text, reason):
    return locks.score_amend(
        school=world.school,
        actor=actor,
        term=world.term,
        class_group=world.group,
        subject=world.subject("Mathematics"),
        student=pupil,
        component=world.component(component),
        text=text,
        reason=reason,
    )


def test_a_locked_class_refuses_saves(results, teacher, alice):
    pupil = results.pupils[0]
    save(results, teacher, pupil, "CA1", "5")
    lock(results, alice)
    error = refused(lambda: save(results, teacher, pupil, "CA1", "6"))
    assert error.code == Code.RESULTS_LOCKED and error.status_code == 409
    assert "amend with a reason" in error.message
    assert stored(results, pupil, "CA1") == "5"
    assert AuditLog.objects.filter(action="results.locked").count() == 1


def test_locking_twice_keeps_one_lock_and_unlocking_opens_the_grid(results, teacher, alice):
    assert lock(results, alice) == lock(results, alice)
    locks.results_unlock(school=results.school, actor=alice, term=results.term, class_group=results.group)
    assert not ResultsLock.objects.exists()
    save(results, teacher, results.pupils[0], "CA1", "6")
    error = refused(
        lambda: locks.results_unlock(school=results.school, actor=alice, term=results.term, class_group=results.group)
    )
    assert error.code == Code.RESULTS_NOT_LOCKED
    assert [e.action for e in AuditLog.objects.filter(action__startswith="results.").order_by("id")] == [
        "results.locked",
        "results.unlocked",
    ]


def test_a_teacher_may_not_lock(results, teacher):
    assert refused(lambda: lock(results, teacher)).code == Code.NOT_YOUR_SUBJECT


def test_an_amendment_needs_a_reason_and_records_old_and_new(results, teacher, alice):
    pupil = results.pupils[0]
    save(results, teacher, pupil, "Exam", "40")
    lock(results, alice)
    error = refused(lambda: amend(results, alice, pupil, "Exam", "45", "  "))
    assert error.code == Code.REASON_REQUIRED and "reason" in error.fields
    state = amend(results, alice, pupil, "Exam", "45", "Script re-marked")
    assert state["cells"][str(results.component("Exam").pk)] == "45" and state["version"] == 2
    amendment = ScoreAmendment.objects.get()
    assert (amendment.old_value, amendment.new_value, amendment.reason, amendment.amended_by) == (
        40,
        45,
        "Script re-marked",
        alice,
    )
    entry = AuditLog.objects.get(action="scores.amended")
    assert (entry.changes["old"], entry.changes["new"], entry.changes["reason"]) == ("40", "45", "Script re-marked")


def test_an_amendment_to_absent_and_of_a_blank_cell_is_recorded(results, alice):
    pupil = results.pupils[1]
    lock(results, alice)
    amend(results, alice, pupil, "CA2", "ABS", "Was sick that week")
    amendment = ScoreAmendment.objects.get()
    assert (amendment.old_value, amendment.old_absent, amendment.new_value, amendment.new_absent) == (
        None,
        False,
        None,
        True,
    )


def test_an_amendment_only_when_locked(results, alice):
    error = refused(lambda: amend(results, alice, results.pupils[0], "Exam", "45", "Re-marked"))
    assert error.code == Code.RESULTS_NOT_LOCKED
    assert not ScoreAmendment.objects.exists()


def test_an_amendment_is_refused_to_a_teacher_and_for_a_bad_score(results, teacher, alice):
    lock(results, alice)
    assert refused(lambda: amend(results, teacher, results.pupils[0], "Exam", "45", "x")).code == Code.NOT_YOUR_SUBJECT
    error = refused(lambda: amend(results, alice, results.pupils[0], "Exam", "61", "Re-marked"))
    assert error.code == Code.SCORE_INVALID and "text" in error.fields


# --- the grids a member may open ----------------------------------------------------------------


def test_my_grids_lists_a_teachers_own_grids_with_progress(results, teacher, school):
    results.fill(results.pupils[0], "Mathematics", "5", "6", "", "40")
    membership = school.memberships.get(user=teacher)
    (only,) = grids.my_grids(school=school, membership=membership, term=results.term)
    assert (only.subject.name, only.teacher, only.filled, only.expected, only.locked) == (
        "Mathematics",
        "Ada Okafor",
        3,
        len(results.pupils) * 4,
        False,
    )


def test_my_grids_lists_every_grid_for_a_manager_and_electives_by_who_takes_them(results, alice, school):
    results.put(results.pupils[0], "French", CA1="5")
    lock(results, alice)
    membership = school.memberships.get(user=alice)
    summaries = grids.my_grids(school=school, membership=membership, term=results.term)
    by_name = {s.subject.name: s for s in summaries}
    assert set(by_name) == {"Mathematics", "English Language", "Basic Science", "French"}
    assert (by_name["French"].filled, by_name["French"].expected) == (1, 4)
    assert all(s.locked for s in summaries)


def test_my_grids_is_empty_for_a_teacher_without_assignments(results, school):
    other = f.member(school, "teacher", email="other.teacher@greenfield.test")
    StaffProfile.objects.create(school=school, user=other, first_name="Ngozi", last_name="Eze")
    membership = school.memberships.get(user=other)
    assert grids.my_grids(school=school, membership=membership, term=results.term) == []


# --- two saves of one cell at once (PostgreSQL) -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_cell_at_once_never_lose_an_update_silently(school, teacher, alice):
    # given a fresh grid both teachers opened (no row yet: the two first saves create it together)
    world = results_world(
        school, school.current_term(), school.class_groups.order_by("id").first(), teacher_user=teacher
    )
    pupil = world.pupils[0]
    answers, lock_ = {}, threading.Lock()

    def type_in(who):
        actor, text = who
        try:
            state = scores.score_cell_save(
                school=school,
                actor=actor,
                term=world.term,
                class_group=world.group,
                subject=world.subject("Mathematics"),
                student=pupil,
                component=world.component("Exam"),
                text=text,
                seen_version=0,
                seen_text="",
            )
        except AcademicsError as error:
            with lock_:
                answers[text] = error
            raise
        with lock_:
            answers[text] = state

    # when both save the same cell at the same moment
    errors = run_concurrently(type_in, [(teacher, "41"), (alice, "52")])

    # then one applied; the other was told what the first saved (never a silent overwrite)
    assert len(errors) == 1 and errors[0].code == Code.SCORE_CONFLICT
    winner = next(text for text, answer in answers.items() if isinstance(answer, dict))
    loser = next(text for text, answer in answers.items() if not isinstance(answer, dict))
    assert errors[0].fields["conflict"]["text"] == winner and errors[0].fields["conflict"]["mine"] == loser
    row = ScoreRow.objects.get(student=pupil, subject=world.subject("Mathematics"))
    assert row.version == 1
    score = Score.objects.get(row=row)
    assert str(compute.Cell(value=score.value, absent=score.absent)) == winner
    assert AuditLog.objects.filter(action="scores.saved").count() == 1
