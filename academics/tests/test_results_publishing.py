"""Publishing results (academics/results/publishing.py): refused while scores are missing unless
forced with a reason, `result.ready` once per pupil and term, nothing for an unchanged card,
`result.updated` after an amendment, withholding while a family owes, and two publishes at once
emitting once per pupil (PostgreSQL, real threads)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import ReportCard, ResultsLock
from academics.results import publishing
from academics.results.publishing import missing_counts, publish_status, result_publish
from academics.results.selectors import class_results
from academics.tests.results_factories import results_world
from classpoint import balances
from classpoint.models import AuditLog, OutboxEvent
from classpoint.testing import run_concurrently
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
CORE = ("Mathematics", "English Language", "Basic Science")


def fill(world, pupils=None, skip=()):
    """Every core subject of every pupil filled (pupil n's exam 40 + 5n, so no two totals tie),
    except the (pupil, subject) pairs in `skip`."""
    for n, pupil in enumerate(pupils or world.pupils):
        for subject in CORE:
            if (pupil, subject) not in skip:
                world.fill(pupil, subject, 8, 7, 15, 40 + (5 * n) % 21)


def events(school, event_type):
    return list(OutboxEvent.objects.filter(school=school, event_type=event_type).order_by("id"))


def publish(world, actor=None, **kwargs):
    return result_publish(school=world.school, actor=actor, term=world.term, **kwargs)


def refused(call):
    with pytest.raises(AcademicsError) as caught:
        call()
    return caught.value


def name(pupil):
    return f"{pupil.first_name} {pupil.last_name}"


# --- Missing scores ---------------------------------------------------------------------------------


def test_publishing_refuses_while_scores_are_missing_and_names_each_gap(school, alice, results):
    # given every score but two pupils' gaps in Mathematics
    first, second = results.pupils[1], results.pupils[2]
    fill(results, skip={(first, "Mathematics"), (second, "Mathematics")})
    results.put(first, "Mathematics", CA1=8, CA2=7, Project=15)
    results.put(second, "Mathematics", CA1=8, Project=15)
    # when the admin publishes
    error = refused(lambda: publish(results, alice))
    # then nothing is published, nothing locked, nobody told, and the refusal names each gap
    assert error.code == AcademicsErrorCode.RESULTS_MISSING and error.status_code == 409
    assert error.fields["missing"] == [
        f"GFA JSS 1A, Mathematics: {name(first)} has no Exam score.",
        f"GFA JSS 1A, Mathematics: {name(second)} has no CA2 or Exam score.",
    ]
    assert "GFA JSS 1A (2)" in error.message
    assert not ReportCard.objects.filter(school=school).exists()
    assert not ResultsLock.objects.filter(school=school).exists()
    assert not OutboxEvent.objects.filter(school=school, event_type__startswith="result.").exists()


def test_a_subject_nobody_has_started_is_one_sentence(school, alice, results):
    fill(results, skip={(p, "Basic Science") for p in results.pupils})
    error = refused(lambda: publish(results, alice))
    assert error.fields["missing"] == ["GFA JSS 1A, Basic Science: nothing entered yet for any of the 4 pupils."]


def test_a_long_list_of_gaps_is_capped_and_counted(school, alice, results, monkeypatch):
    monkeypatch.setattr(publishing, "MAX_MISSING_LINES", 5)
    for pupil in results.pupils:
        for subject in CORE:
            results.put(pupil, subject, CA1=5)
    error = refused(lambda: publish(results, alice))
    assert len(error.fields["missing"]) == 6
    assert error.fields["missing"][-1] == "…and 7 more."


def test_the_overview_counts_the_same_gaps_the_refusal_names(school, alice, results):
    # given gaps in core subjects, and an elective two pupils started
    fill(results, skip={(results.pupils[0], "English Language")})
    results.put(results.pupils[1], "French", CA1=5)
    results.put(results.pupils[2], "French", CA1=5, CA2=5, Project=10, Exam=40)
    worked = class_results(school=school, term=results.term, class_group=results.group)
    # then the page's quick count agrees with the worked-out class
    assert missing_counts(school=school, term=results.term) == {results.group.pk: 2}
    assert publishing.gap_count(worked) == 2
    state = publish_status(school=school, term=results.term)[0]
    assert (state.pupils, state.missing, state.locked, state.published) == (4, 2, False, 0)


def test_a_forced_publish_keeps_the_reason_on_each_card_and_in_the_audit(school, alice, results):
    fill(results, skip={(results.pupils[3], "Basic Science")})
    outcome = publish(results, alice, force_reason="Basic Science exam resat in January")
    assert outcome.forced_reason == "Basic Science exam resat in January"
    assert [(c.published, c.missing) for c in outcome.classes] == [(4, 1)]
    reasons = set(ReportCard.objects.filter(school=school).values_list("forced_reason", flat=True))
    assert reasons == {"Basic Science exam resat in January"}
    entry = AuditLog.objects.get(school=school, action="results.published")
    assert entry.changes["forced_reason"] == "Basic Science exam resat in January"
    assert entry.changes["missing"] == 1 and entry.actor == alice


def test_a_reason_given_when_nothing_is_missing_is_not_kept(school, alice, results):
    fill(results)
    outcome = publish(results, alice, force_reason="just in case")
    assert outcome.forced_reason == ""
    assert set(ReportCard.objects.filter(school=school).values_list("forced_reason", flat=True)) == {""}


# --- Once per pupil ---------------------------------------------------------------------------------


def test_publishing_emits_result_ready_once_per_pupil_and_locks_the_scores(school, alice, results):
    fill(results)
    # when the admin publishes the class, then again
    first = publish(results, alice, class_group=results.group)
    second = publish(results, alice, class_group=results.group)
    # then each pupil's card is published once, at revision 1, and the class is locked
    assert [(c.pupils, c.published, c.unchanged, c.locked_now) for c in first.classes] == [(4, 4, 0, True)]
    assert [(c.published, c.updated, c.unchanged, c.locked_now) for c in second.classes] == [(0, 0, 4, False)]
    ready = events(school, "result.ready")
    assert sorted(e.payload["student_id"] for e in ready) == sorted(p.pk for p in results.pupils)
    assert {e.dedupe_key for e in ready} == {f"result.ready:{p.pk}:{results.term.pk}" for p in results.pupils}
    assert ready[0].payload == {
        "student_id": ready[0].payload["student_id"],
        "term_id": results.term.pk,
        "class_group_id": results.group.pk,
        "revision": 1,
    }
    cards = ReportCard.objects.filter(school=school)
    assert {(c.revision, c.published_by_id, c.withheld) for c in cards} == {(1, alice.pk, False)}
    assert all(c.first_published_at == c.published_at and len(c.digest) == 64 for c in cards)
    assert ResultsLock.objects.get(school=school, term=results.term, class_group=results.group).locked_by == alice
    assert AuditLog.objects.filter(school=school, action="results.published").count() == 2
    assert not events(school, "result.updated")


def test_publish_all_covers_every_class_with_pupils_that_term(school, alice, results):
    # given a second class at the same level, its pupils' scores in
    other = f.ClassGroupFactory(school=school, name="GFA JSS 1B", level=results.group.level)
    f.ClassGroupFactory(school=school, name="GFA JSS 1C", level=results.group.level)  # nobody in it
    extra = [f.StudentFactory(school=school, last_name=n) for n in ("Danjuma", "Eze")]
    for pupil in extra:
        f.enroll(pupil, results.term, other)
    fill(results)
    fill(results, pupils=extra)
    outcome = publish(results, alice)
    assert [(c.class_group.name, c.published) for c in outcome.classes] == [("GFA JSS 1A", 4), ("GFA JSS 1B", 2)]
    assert len(events(school, "result.ready")) == 6


def test_an_amendment_republished_tells_only_the_family_whose_card_changed(school, alice, results):
    fill(results)
    publish(results, alice)
    top = results.pupils[3]  # the best in every subject: a higher exam moves no position
    # when a locked score is amended and the class published again
    results.put(top, "Mathematics", Exam=58)
    outcome = publish(results, alice)
    # then one card is updated, at revision 2, and one `result.updated` names that revision
    assert [(c.updated, c.unchanged, c.published) for c in outcome.classes] == [(1, 3, 0)]
    card = ReportCard.objects.get(school=school, student=top)
    assert card.revision == 2 and card.published_at > card.first_published_at
    (updated,) = events(school, "result.updated")
    assert updated.payload["student_id"] == top.pk and updated.payload["revision"] == 2
    assert updated.dedupe_key == f"result.updated:{top.pk}:{results.term.pk}:2"
    assert len(events(school, "result.ready")) == 4
    # and publishing once more tells nobody anything
    publish(results, alice)
    assert len(events(school, "result.updated")) == 1


def test_a_new_comment_on_a_published_card_is_an_update(school, alice, results):
    fill(results)
    publish(results, alice)
    ReportCard.objects.filter(school=school, student=results.pupils[0]).update(head_comment="A fine term.")
    outcome = publish(results, alice)
    assert outcome.classes[0].updated == 1


def test_publishing_reads_the_class_in_a_fixed_number_of_queries(school, alice, results):
    # given one class of 4 and, at another school, a class of 14 (same subjects and components)
    fill(results)
    other = f.provision("bigger", "Bigger School")
    term = f.TermFactory(school=other)
    group = f.ClassGroupFactory(school=other, name="BIG JSS 1A", level=results.group.level)
    f.enroll(f.StudentFactory(school=other, admission_number="BIG/1"), term, group)
    big = results_world(other, term, group)
    for n in range(10):
        pupil = f.StudentFactory(school=other, last_name=f"Name{n}")
        f.enroll(pupil, term, group)
        big.pupils.append(pupil)
    fill(big)

    def queries(world):
        with CaptureQueriesContext(connection) as captured:
            publish(world)
        return len(captured)

    # then publishing 14 pupils costs what publishing 4 does
    assert queries(big) == queries(results)


# --- Withholding ------------------------------------------------------------------------------------


@pytest.fixture
def owing(monkeypatch):
    """What each pupil's family owes, as classpoint.balances answers (set per test)."""
    owed = {}
    monkeypatch.setattr(balances, "owed_minor", lambda *, school, student_ids: {i: owed.get(i, 0) for i in student_ids})
    return owed


def withhold_above(school, minor):
    policy = publishing.policy_for(school)
    policy.withhold_owing_above_minor = minor
    policy.save()


def test_a_family_owing_over_the_threshold_has_the_card_withheld_until_it_pays(school, alice, results, owing):
    fill(results)
    withhold_above(school, 10_000)
    debtor, small = results.pupils[1], results.pupils[2]
    owing.update({debtor.pk: 50_000, small.pk: 10_000})  # the second owes no more than the threshold
    # when the class is published
    outcome = publish(results, alice)
    # then the debtor's card is published withheld: their family is told `result.withheld`, not ready
    assert [(c.published, c.withheld) for c in outcome.classes] == [(3, 1)]
    assert ReportCard.objects.get(school=school, student=debtor).withheld
    assert debtor.pk not in {e.payload["student_id"] for e in events(school, "result.ready")}
    (held,) = events(school, "result.withheld")
    assert (
        held.payload["student_id"] == debtor.pk and held.dedupe_key == f"result.withheld:{debtor.pk}:{results.term.pk}"
    )
    # when published again while still owing: nothing new
    again = publish(results, alice)
    assert [(c.withheld, c.unchanged) for c in again.classes] == [(1, 3)]
    assert len(events(school, "result.withheld")) == 1
    # when the family has paid and the class is published again: released, and ready once
    owing[debtor.pk] = 0
    released = publish(results, alice)
    assert [(c.published, c.withheld) for c in released.classes] == [(1, 0)]
    card = ReportCard.objects.get(school=school, student=debtor)
    assert not card.withheld and card.revision == 1
    assert [e.payload["student_id"] for e in events(school, "result.ready")].count(debtor.pk) == 1


def test_a_card_once_released_is_not_withheld_afterwards(school, alice, results, owing):
    fill(results)
    publish(results, alice)
    withhold_above(school, 0)
    owing[results.pupils[0].pk] = 90_000
    results.put(results.pupils[0], "Mathematics", CA1=9)
    outcome = publish(results, alice)
    assert [(c.updated, c.withheld) for c in outcome.classes] == [(1, 0)]
    assert not ReportCard.objects.filter(school=school, withheld=True).exists()


def test_without_a_threshold_nobody_is_withheld_whatever_they_owe(school, alice, results, owing):
    fill(results)
    owing.update({p.pk: 10**9 for p in results.pupils})
    assert publish(results, alice).classes[0].published == 4


# --- Tenancy and concurrency --------------------------------------------------------------------------


def test_publishing_one_school_touches_no_other(school, other_school, alice, results):
    fill(results)
    publish(results, alice)
    assert not ReportCard.objects.filter(school=other_school).exists()
    assert not OutboxEvent.objects.filter(school=other_school, event_type__startswith="result.").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepared", [False, True], ids=["nothing-yet", "locked-and-commented"])
def test_publishes_at_once_emit_result_ready_once_per_pupil(school, alice, results, prepared):
    # given a class with every score in; in one case locked already and its cards made by the comments
    fill(results)
    if prepared:
        ResultsLock.objects.create(school=school, term=results.term, class_group=results.group, locked_by=alice)
        for pupil in results.pupils:
            ReportCard.objects.create(
                school=school, term=results.term, student=pupil, class_group=results.group, head_comment="Good."
            )

    # when four admins press "Publish all" at the same moment
    outcomes = []

    def press(_):
        outcomes.append(result_publish(school=school, actor=alice, term=results.term))

    errors = run_concurrently(press, [1, 2, 3, 4])

    # then all succeed, each pupil's card is published by one of them, and each family is told once
    assert errors == []
    assert sum(o.total("published") for o in outcomes) == 4
    assert sum(o.total("unchanged") for o in outcomes) == 12
    ready = events(school, "result.ready")
    assert sorted(e.payload["student_id"] for e in ready) == sorted(p.pk for p in results.pupils)
    assert set(ReportCard.objects.filter(school=school).values_list("revision", flat=True)) == {1}
    assert ResultsLock.objects.filter(school=school).count() == 1
    assert AuditLog.objects.filter(school=school, action="results.published").count() == 4
