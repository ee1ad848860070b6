"""Publishing a term's results to families, and what is missing before one may.

`result_publish` publishes one class group, or every class group with pupils that term. It refuses
while a pupil's subject still has a blank cell (RESULTS_MISSING, 409, each gap named in `fields`),
unless given a reason to publish anyway, which each card published then keeps. It locks each
class's scores first (so every later change is an audited amendment), then, per pupil, records the
card as published with a digest of its figures:

- the first time a card reaches the family: `result.ready`, once per pupil and term;
- published before and changed since (an amendment moved a total, a grade, a position, a comment):
  a new revision and `result.updated` for it; unchanged: nothing at all;
- the school withholds results while a family owes more than its threshold: the card is published
  withheld and the family hears `result.withheld` (once) instead; a later publish after they have
  paid releases it with `result.ready`. A card once released is never taken back.

Two publishes at once (two admins, a button pressed twice, the command beside the page) emit once
per pupil: each class's cards are created if absent, then locked in pupil order, and the second
publish sees the first one's cards when it gets them.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from classpoint import balances
from classpoint.audit import audit
from classpoint.outbox import emit_many, emitted_keys
from schools.models import ClassGroup, Enrollment
from schools.selectors import on_roll

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import AssessmentComponent, ReportCard, ResultsLock, Score, Subject
from . import compute
from .policy import policy_for
from .selectors import class_results

READY, UPDATED, WITHHELD = "result.ready", "result.updated", "result.withheld"
MAX_REASON = 200  # ReportCard.forced_reason
MAX_MISSING_LINES = 40  # sentences in a refusal; the rest are counted
_OWN = ("id", "revision", "digest", "withheld")  # what differs from card to card in one publish


# --- What is missing ------------------------------------------------------------------------------


def _words(names):
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def missing_in(results):
    """Sentences naming each pupil's subject with blank cells in a class's term (compute: a blank
    makes the total incomplete), in the card's order; a subject nobody in the class has started is
    one sentence, not one per pupil. A level without subjects, or a term without components, is
    missing too: its cards would be empty."""
    group = results.class_group.name
    if not results.pupils:
        return []
    if not results.components:
        return [f"{group}: {results.term} has no assessment components yet."]
    if not results.subjects:
        return [f"{group}: no subjects are set up for {results.class_group.level}."]
    names = {c.id: c.name for c in results.components}
    lines = []
    for subject in results.subjects:
        taking = [p for p in results.pupils if subject.pk in results.worked.pupils[p.pk].subjects]
        gaps = [(p, results.worked.pupils[p.pk].subjects[subject.pk].result.missing) for p in taking]
        gaps = [(p, ids) for p, ids in gaps if ids]
        if len(gaps) > 1 and len(gaps) == len(taking) and all(len(ids) == len(names) for _p, ids in gaps):
            lines.append(f"{group}, {subject.name}: nothing entered yet for any of the {len(gaps)} pupils.")
            continue
        for pupil, ids in gaps:
            who = f"{pupil.first_name} {pupil.last_name}"
            what = "nothing entered yet" if len(ids) == len(names) else f"no {_words(names[i] for i in ids)} score"
            lines.append(f"{group}, {subject.name}: {who} has {what}.")
    return lines


def gap_count(results):
    """How many pupils' subjects in a class's term have blank cells."""
    return sum(
        not subject.result.complete for pupil in results.worked.pupils.values() for subject in pupil.subjects.values()
    )


def missing_error(missing):
    """RESULTS_MISSING for {class group: [sentences]}: the classes in the message, each gap in
    `fields["missing"]` (the first MAX_MISSING_LINES, then how many more)."""
    lines = [line for sentences in missing.values() for line in sentences]
    shown = lines[:MAX_MISSING_LINES]
    if len(lines) > len(shown):
        shown.append(f"…and {len(lines) - len(shown)} more.")
    classes = [f"{group.name} ({len(sentences)})" for group, sentences in missing.items() if sentences]
    listed = ", ".join(classes[:8]) + (f" and {len(classes) - 8} more classes" if len(classes) > 8 else "")
    return AcademicsError(
        f"Scores are missing in {listed}. Enter them, or publish anyway with a reason.",
        code=AcademicsErrorCode.RESULTS_MISSING,
        fields={"missing": shown},
    )


def missing_counts(*, school, term):
    """{class_group_id: pupils' subjects with blank cells} for the whole term in a few queries (the
    publish page's overview): the same rule as missing_in, counted from how many cells of each
    pupil's subject hold a score or ABS, instead of working out every class."""
    enrolled = list(
        Enrollment.objects.for_school(school)
        .filter(on_roll(term), term=term)
        .values_list("student_id", "class_group_id", "class_group__level")
    )
    needed = AssessmentComponent.objects.for_school(school).filter(term=term).count()
    subjects = {}
    levels = {level for _s, _g, level in enrolled}
    for pk, level, kind in (
        Subject.objects.for_school(school).filter(level__in=levels, is_active=True).values_list("pk", "level", "kind")
    ):
        subjects.setdefault(level, []).append((pk, kind == Subject.Kind.CORE))
    filled = {
        (student_id, subject_id): n
        for student_id, subject_id, n in Score.objects.for_school(school)
        .filter(row__term=term, component__term=term)
        .filter(Q(value__isnull=False) | Q(absent=True))
        .values_list("row__student_id", "row__subject_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    counts = {}
    for student_id, group_id, level in enrolled:
        for subject_id, core in subjects.get(level, ()):
            n = filled.get((student_id, subject_id), 0)
            if (core or n) and n < needed:
                counts[group_id] = counts.get(group_id, 0) + 1
    return counts


# --- The publish page's overview ------------------------------------------------------------------


@dataclass
class ClassState:
    class_group: object
    pupils: int
    missing: int = 0
    locked_at: object = None
    published: int = 0  # released to the family
    withheld: int = 0
    last_published_at: object = None

    @property
    def locked(self):
        return self.locked_at is not None


def classes_with_pupils(*, school, term):
    """The class groups with active pupils in `term`, by level then name."""
    enrolled = Enrollment.objects.for_school(school).filter(on_roll(term), term=term)
    return list(
        ClassGroup.objects.for_school(school)
        .filter(pk__in=enrolled.values("class_group_id"))
        .order_by("level", "name", "id")
    )


def publish_status(*, school, term):
    """Each class group with pupils in `term`: pupils, subjects with scores missing, locked since
    when, cards released and withheld, last published (a constant number of queries)."""
    groups = classes_with_pupils(school=school, term=term)
    pupils = dict(
        Enrollment.objects.for_school(school)
        .filter(on_roll(term), term=term)
        .values_list("class_group_id")
        .annotate(n=Count("student_id", distinct=True))
        .order_by()
    )
    missing = missing_counts(school=school, term=term)
    locks = dict(ResultsLock.objects.for_school(school).filter(term=term).values_list("class_group_id", "locked_at"))
    cards = {
        row["class_group_id"]: row
        for row in ReportCard.objects.for_school(school)
        .filter(term=term, published_at__isnull=False)
        .values("class_group_id")
        .annotate(
            released=Count("pk", filter=Q(withheld=False)),
            held=Count("pk", filter=Q(withheld=True)),
            last=Max("published_at"),
        )
        .order_by()
    }
    states = []
    for group in groups:
        row = cards.get(group.pk, {})
        states.append(
            ClassState(
                class_group=group,
                pupils=pupils.get(group.pk, 0),
                missing=missing.get(group.pk, 0),
                locked_at=locks.get(group.pk),
                published=row.get("released", 0),
                withheld=row.get("held", 0),
                last_published_at=row.get("last"),
            )
        )
    return states


# --- Publishing -------------------------------------------------------------------------------------


@dataclass
class ClassOutcome:
    """What one publish did to a class's cards; each pupil is counted once."""

    class_group: object
    pupils: int = 0
    published: int = 0  # reached the family now (result.ready)
    updated: int = 0  # reached them before and changed since (result.updated)
    unchanged: int = 0
    withheld: int = 0  # held while the family owes (told once: result.withheld)
    missing: int = 0  # gaps published anyway, with the reason
    locked_now: bool = False

    def words(self):
        counts = (
            (self.published, "published"),
            (self.updated, "updated"),
            (self.withheld, "withheld"),
            (self.unchanged, "unchanged"),
        )
        parts = [f"{n} {what}" for n, what in counts if n]
        return f"{self.class_group.name}: " + (", ".join(parts) if parts else "no pupils")


@dataclass
class PublishOutcome:
    term: object
    classes: list = field(default_factory=list)
    forced_reason: str = ""

    def total(self, what):
        return sum(getattr(c, what) for c in self.classes)


def card_digest(*, results, student_id, card):
    """A fingerprint of what the pupil's card shows: each subject's cells, total, grade and remark,
    the positions the school prints, the overall figures and the comments. Class averages are left
    out: one classmate's amendment should not tell every family their child's card changed."""
    policy = results.policy
    pupil = results.worked.pupils[student_id]
    subjects = []
    for subject in results.subjects:
        worked = pupil.subjects.get(subject.pk)
        if worked is None:
            continue
        subjects.append(
            [
                subject.pk,
                subject.name,
                [[c.name, str(worked.cells.get(c.id, compute.BLANK))] for c in results.components],
                str(worked.result.total),
                worked.grade.letter if worked.grade else "",
                worked.grade.remark if worked.grade else "",
                worked.position if policy.show_subject_position else None,
            ]
        )
    figures = {
        "subjects": subjects,
        "total": str(pupil.total),
        "average": str(pupil.average),
        "position": pupil.position if policy.show_class_position else None,
        "comments": [card.form_teacher_comment, card.head_comment],
    }
    return hashlib.sha256(json.dumps(figures, separators=(",", ":")).encode()).hexdigest()


def _reason(force_reason):
    reason = " ".join((force_reason or "").split())
    if len(reason) > MAX_REASON:
        raise AcademicsError(
            "The reason is too long.",
            code=AcademicsErrorCode.RESULTS_INVALID,
            fields={"force_reason": [f"Keep it under {MAX_REASON} characters."]},
        )
    return reason


@transaction.atomic
def result_publish(*, school, actor, term, class_group=None, force_reason=""):
    """Publish `class_group`'s results for `term` (every class group with pupils that term when
    None). Refuses while scores are missing unless `force_reason` says why (module docstring).
    Returns a PublishOutcome, one ClassOutcome per class."""
    reason = _reason(force_reason)
    policy = policy_for(school)
    groups = [class_group] if class_group is not None else classes_with_pupils(school=school, term=term)
    locked = _lock(school=school, term=term, groups=groups, actor=actor)
    worked = [class_results(school=school, term=term, class_group=g, policy=policy) for g in groups]
    missing = {r.class_group: missing_in(r) for r in worked}
    if any(missing.values()) and not reason:
        raise missing_error(missing)
    threshold = policy.withhold_owing_above_minor
    owed = {}
    if threshold is not None:
        owed = balances.owed_minor(school=school, student_ids=[p.pk for r in worked for p in r.pupils])
    owing = {sid for sid, amount in owed.items() if amount > threshold} if threshold is not None else set()
    outcome = PublishOutcome(term=term, forced_reason=reason if any(missing.values()) else "")
    for results in worked:
        gaps = missing[results.class_group]
        done = _publish_class(school=school, actor=actor, results=results, owing=owing, reason=reason if gaps else "")
        done.missing, done.locked_now = gap_count(results), results.class_group.pk in locked
        outcome.classes.append(done)
        audit(
            school=school,
            actor=actor,
            action="results.published",
            target=results.class_group,
            changes={
                "term_id": term.pk,
                "term": str(term),
                "pupils": done.pupils,
                "published": done.published,
                "updated": done.updated,
                "unchanged": done.unchanged,
                "withheld": done.withheld,
                "missing": done.missing,
                "forced_reason": reason if gaps else "",
                "locked_now": done.locked_now,
            },
        )
    return outcome


def _lock(*, school, term, groups, actor):
    """Lock the classes' scores (those not locked yet); returns the ids locked now."""
    ids = [g.pk for g in groups]
    locks = ResultsLock.objects.for_school(school).filter(term=term, class_group_id__in=ids)
    before = set(locks.values_list("class_group_id", flat=True))
    by = actor if getattr(actor, "is_authenticated", False) else None
    ResultsLock.objects.bulk_create(
        [ResultsLock(school=school, term=term, class_group_id=pk, locked_by=by) for pk in ids if pk not in before],
        ignore_conflicts=True,
    )
    return set(ids) - before


def _publish_class(*, school, actor, results, owing, reason):
    """One class's cards: created if absent, locked in pupil order, each compared with its digest.
    `owing`: the pupils whose family owes more than the school's threshold."""
    term, group = results.term, results.class_group
    done = ClassOutcome(class_group=group, pupils=len(results.pupils))
    ids = sorted(p.pk for p in results.pupils)
    if not ids:
        return done
    ReportCard.objects.bulk_create(
        [ReportCard(school=school, term=term, student_id=pk, class_group=group) for pk in ids], ignore_conflicts=True
    )
    mine = ReportCard.objects.for_school(school).filter(term=term, student_id__in=ids)
    cards = list(mine.select_for_update().order_by("student_id"))
    now, by = timezone.now(), actor if getattr(actor, "is_authenticated", False) else None
    events, changed = [], []
    for card in cards:
        digest = card_digest(results=results, student_id=card.student_id, card=card)
        released = card.published_at is not None and not card.withheld
        differs = digest != card.digest
        if released and not differs:
            done.unchanged += 1
            continue
        hold = not released and card.student_id in owing
        if hold and card.withheld and not differs:  # still held, nothing new to tell
            done.withheld += 1
            continue
        if differs or card.published_at is None:
            card.revision += 1
        card.digest, card.withheld = digest, hold
        changed.append(card)
        payload = {
            "student_id": card.student_id,
            "term_id": term.pk,
            "class_group_id": group.pk,
            "revision": card.revision,
        }
        if hold:
            done.withheld += 1
            events.append((WITHHELD, payload, f"{WITHHELD}:{card.student_id}:{term.pk}"))
        elif released:
            done.updated += 1
            events.append((UPDATED, payload, f"{UPDATED}:{card.student_id}:{term.pk}:{card.revision}"))
        else:
            done.published += 1
            events.append((READY, payload, f"{READY}:{card.student_id}:{term.pk}"))
    _store(school=school, cards=changed, group=group, now=now, by=by, reason=reason)
    _emit_new(school=school, events=events)
    return done


def _store(*, school, cards, group, now, by, reason):
    """Write the published cards: what every card of this publish shares in one UPDATE, and each
    card's own revision, digest and withheld flag as one statement run for many rows (psycopg
    pipelines it). bulk_update's CASE per row and field costs seconds for a large term."""
    if not cards:
        return
    mine = ReportCard.objects.for_school(school).filter(pk__in=[card.pk for card in cards])
    mine.update(class_group=group, published_at=now, published_by=by, forced_reason=reason)
    mine.filter(first_published_at__isnull=True).update(first_published_at=now)
    column = {name: connection.ops.quote_name(ReportCard._meta.get_field(name).column) for name in _OWN}
    table = connection.ops.quote_name(ReportCard._meta.db_table)
    assignments = ", ".join(f"{column[name]} = %s" for name in _OWN[1:])
    sql = f"UPDATE {table} SET {assignments} WHERE {column['id']} = %s"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*(getattr(card, n) for n in _OWN[1:]), card.pk) for card in cards])


def _emit_new(*, school, events):
    """The events whose dedupe keys were never emitted, in one insert: `result.ready` is once per
    pupil and term even for a card deleted and made again. The cards are locked, so no concurrent
    publish of this class can be emitting the same keys."""
    seen = emitted_keys(school=school, dedupe_keys=[key for _type, _payload, key in events])
    emit_many(school=school, events=[event for event in events if event[2] not in seen])
