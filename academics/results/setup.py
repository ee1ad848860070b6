"""Results set-up, the school admin's side: subjects, who teaches them and a term's assessment
components (grade scales, the results policy and the comment bank: setup_grading.py).

Every write is refused whole with field-level messages (`results_invalid`) and changes nothing.
A term's components change only while no class group of that term is locked (`results_locked`),
and never so that an entered score is lost or left above its maximum (`component_in_use`): a
component with scores stays, and its maximum stays at or above the highest score entered.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max, Q

from classpoint.audit import audit
from schools.models import Term

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import (
    AssessmentComponent,
    ResultsLock,
    ScheduleSlot,
    Score,
    ScoreRow,
    Subject,
    SubjectTeacher,
)
from . import compute

UNSET = object()  # "leave as it is", where None means something (no threshold, no teacher)
MAX_COMPONENT_SCORE = Decimal(1000)
MAX_COMPONENTS = 12
CENT = Decimal("0.01")
Kind = Subject.Kind


def invalid(fields, message="Check the highlighted fields."):
    return AcademicsError(message, code=AcademicsErrorCode.RESULTS_INVALID, fields=fields)


def clean_text(value, *, field, label, max_length, errors, required=True):
    value = (value or "").strip() if isinstance(value, str) else ""
    if required and not value:
        errors[field] = [f"Enter {label}."]
    elif len(value) > max_length:
        errors[field] = [f"Use at most {max_length} characters."]
    return value


def clean_number(value, *, field, errors, low, high, places=CENT, low_inclusive=False):
    """A Decimal within (low, high] (or [low, high]) with at most `places` decimals, else an error."""
    try:
        number = Decimal(str(value).strip().replace(",", "")) if value not in (None, "") else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors[field] = ["Enter a number."]
    elif number < low or (number == low and not low_inclusive) or number > high:
        errors[field] = [f"Enter a number {'from' if low_inclusive else 'above'} {low:g} up to {high:g}."]
    elif number != number.quantize(places):
        errors[field] = [f"Use at most {abs(places.as_tuple().exponent)} decimals."]
    else:
        return number.quantize(places)
    return None


# --- Subjects --------------------------------------------------------------------------------------


def school_levels(school):
    """The class levels the school's class groups name, in order ("JSS 1", "JSS 2"...)."""
    return sorted(set(school.class_groups.values_list("level", flat=True)))


def _subject_fields(school, *, name, code, level, kind, position, exclude=None):
    errors = {}
    name = clean_text(name, field="name", label="the subject's name", max_length=80, errors=errors)
    code = clean_text(code, field="code", label="a code", max_length=12, errors=errors, required=False).upper()
    level = (level or "").strip() if isinstance(level, str) else ""
    if level not in school_levels(school):
        errors["level"] = ["Choose a level one of the school's classes is in."]
    if kind not in Kind.values:
        errors["kind"] = ["Choose core or elective."]
    if not isinstance(position, int) or not 0 <= position <= 999:
        errors["position"] = ["Enter a whole number from 0 to 999."]
    if "name" not in errors and "level" not in errors:
        same = Subject.objects.for_school(school).filter(level=level, name__iexact=name)
        if same.exclude(pk=exclude).exists():
            errors["name"] = [f"{level} already has a subject called {name}."]
    if errors:
        raise invalid(errors, "Check the subject's details.")
    return {"name": name, "code": code, "level": level, "kind": kind, "position": position}


@transaction.atomic
def subject_create(*, school, actor, name, level, code="", kind=Kind.CORE, position=0):
    fields = _subject_fields(school, name=name, code=code, level=level, kind=kind, position=position)
    subject = Subject.objects.create(school=school, **fields)
    audit(school=school, actor=actor, action="results.subject_created", target=subject, changes=fields)
    return subject


@transaction.atomic
def subject_update(
    *, school, actor, subject, name=UNSET, code=UNSET, level=UNSET, kind=UNSET, position=UNSET, is_active=UNSET
):
    """Change what is given. A subject with scores keeps its level (its grids belong to it); one
    moved to another level loses its teachers, who taught the old level's classes."""
    subject = Subject.objects.for_school(school).select_for_update().get(pk=subject.pk)
    given = {"name": name, "code": code, "level": level, "kind": kind, "position": position}
    current = {key: getattr(subject, key) for key in given}
    wanted = {key: current[key] if value is UNSET else value for key, value in given.items()}
    fields = _subject_fields(school, exclude=subject.pk, **wanted)
    if fields["level"] != subject.level and ScoreRow.objects.for_school(school).filter(subject=subject).exists():
        raise invalid({"level": ["Scores were entered for this subject: it stays in its level."]})
    if is_active is not UNSET:
        fields["is_active"] = bool(is_active)
    changes = {key: value for key, value in fields.items() if getattr(subject, key) != value}
    if not changes:
        return subject
    if "level" in changes:
        SubjectTeacher.objects.for_school(school).filter(subject=subject).delete()
    for key, value in changes.items():
        setattr(subject, key, value)
    subject.save(update_fields=list(changes))
    audit(school=school, actor=actor, action="results.subject_updated", target=subject, changes=changes)
    return subject


@transaction.atomic
def subject_retire(*, school, actor, subject):
    """Take a subject off the grids and report cards: deleted when nothing was scored in it,
    otherwise kept inactive (its scores stay on the cards already published). Returns "deleted" or
    "retired"."""
    subject = Subject.objects.for_school(school).select_for_update().get(pk=subject.pk)
    label = str(subject)
    if ScoreRow.objects.for_school(school).filter(subject=subject).exists():
        if subject.is_active:
            subject.is_active = False
            subject.save(update_fields=["is_active"])
        outcome = "retired"
    else:
        subject.delete()
        subject.pk = None
        outcome = "deleted"
    audit(school=school, actor=actor, action=f"results.subject_{outcome}", target_label=label, changes={})
    return outcome


# --- Who teaches what ------------------------------------------------------------------------------


@transaction.atomic
def subject_teacher_set(*, school, actor, term, class_group, subject, teacher):
    """Name the teacher of a subject in a class group for the term (None: nobody). Returns the row,
    or None when cleared."""
    errors = {}
    if subject.level != class_group.level or not subject.is_active:
        errors["subject"] = [f"{subject.name} is not a subject of {class_group.level}."]
    if teacher is not None and not teacher.is_teacher:
        errors["teacher"] = [f"{teacher} is not on the staff list as a teacher."]
    if errors:
        raise invalid(errors, "Check the subject teacher.")
    rows = SubjectTeacher.objects.for_school(school).filter(term=term, class_group=class_group, subject=subject)
    row = rows.select_for_update().first()
    before = row.teacher_id if row else None
    if teacher is None:
        rows.delete()
        row = None
    elif row is None:
        row = SubjectTeacher.objects.create(
            school=school, term=term, class_group=class_group, subject=subject, teacher=teacher
        )
    elif row.teacher_id != teacher.pk or row.from_timetable:
        row.teacher, row.from_timetable = teacher, False
        row.save(update_fields=["teacher", "from_timetable"])
    after = teacher.pk if teacher else None
    if before != after:
        audit(
            school=school,
            actor=actor,
            action="results.subject_teacher_set",
            target=subject,
            changes={"term_id": term.pk, "class_group_id": class_group.pk, "teacher_id": [before, after]},
        )
    return row


@dataclass(frozen=True)
class TimetableFill:
    made: int  # subject teachers named from the timetable now
    already: int  # class-subject pairs that had a teacher (left as they were)
    unmatched: list  # timetable subject names no subject of the class's level carries


@transaction.atomic
def subject_teachers_from_timetable(*, school, actor, term):
    """Name each class's subject teachers from the term's timetable where none is named yet: a slot's
    subject matches a subject of the class's level by name (any case); a subject taught by several
    teachers goes to whoever has most of its lessons."""
    slots = (
        ScheduleSlot.objects.for_school(school)
        .filter(term=term)
        .select_related("class_group")
        .order_by("class_group_id", "id")
    )
    subjects = {(s.level, s.name.casefold()): s for s in Subject.objects.for_school(school).filter(is_active=True)}
    lessons, unmatched = Counter(), {}
    for slot in slots:
        subject = subjects.get((slot.class_group.level, slot.subject.strip().casefold()))
        if subject is None:
            unmatched.setdefault(slot.subject.strip().casefold(), slot.subject.strip())
        elif slot.teacher_id is not None:
            lessons[(slot.class_group_id, subject.pk, slot.teacher_id)] += 1
    chosen = {}
    for (group_id, subject_id, teacher_id), count in sorted(lessons.items()):
        best = chosen.get((group_id, subject_id))
        if best is None or count > best[1]:
            chosen[(group_id, subject_id)] = (teacher_id, count)
    named = set(SubjectTeacher.objects.for_school(school).filter(term=term).values_list("class_group_id", "subject_id"))
    new = [
        SubjectTeacher(school=school, term=term, class_group_id=group_id, subject_id=subject_id, teacher_id=teacher_id)
        for (group_id, subject_id), (teacher_id, _count) in sorted(chosen.items())
        if (group_id, subject_id) not in named
    ]
    for row in new:
        row.from_timetable = True
    SubjectTeacher.objects.bulk_create(new)
    result = TimetableFill(
        made=len(new), already=len(chosen) - len(new), unmatched=sorted(unmatched.values(), key=str.casefold)
    )
    audit(
        school=school,
        actor=actor,
        action="results.subject_teachers_from_timetable",
        target=term,
        changes={"made": result.made, "already": result.already, "unmatched": result.unmatched},
    )
    return result


# --- Assessment components -------------------------------------------------------------------------


def _refuse_locked(school, term):
    if ResultsLock.objects.for_school(school).filter(term=term).exists():
        raise AcademicsError(
            "Results are locked for this term.",
            code=AcademicsErrorCode.RESULTS_LOCKED,
            fields={"components": [f"A class's results for {term} are locked: unlock them to change components."]},
        )


def _plain(number):
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _component_rows(components):
    if not isinstance(components, list | tuple) or len(components) > MAX_COMPONENTS:
        raise invalid({"components": [f"Give from 1 to {MAX_COMPONENTS} components."]})
    errors, rows, names = {}, [], Counter()
    for n, raw in enumerate(components):
        raw = raw if isinstance(raw, dict) else {}
        found = {}
        name = clean_text(raw.get("name"), field="name", label="a name", max_length=40, errors=found)
        high = clean_number(raw.get("max_score"), field="max_score", errors=found, low=0, high=MAX_COMPONENT_SCORE)
        weight = clean_number(raw.get("weight"), field="weight", errors=found, low=0, high=Decimal(100))
        errors.update({f"components.{n}.{key}": value for key, value in found.items()})
        names[name.casefold()] += 1
        rows.append({"id": raw.get("id"), "name": name, "max_score": high, "weight": weight})
    for n, row in enumerate(rows):
        if row["name"] and names[row["name"].casefold()] > 1:
            errors.setdefault(f"components.{n}.name", []).append(f"Two components are called {row['name']}.")
    # Without trailing zeros, so the total reads "99" or "100.5" in the message, not "99.00".
    weights = [_plain(row["weight"]) for row in rows if row["weight"] is not None]
    if len(weights) == len(rows) and compute.weights_problems(weights):
        errors["components"] = compute.weights_problems(weights)
    if errors:
        raise invalid(errors, "Check the assessment components.")
    return rows


@transaction.atomic
def components_set(*, school, actor, term, components):
    """Replace the term's components with `components` ([{id?, name, max_score, weight}], in order);
    a row with the id of an existing component changes it, a row without adds one, and an existing
    component left out is removed."""
    Term.objects.for_school(school).select_for_update().get(pk=term.pk)  # one writer per term
    rows = _component_rows(components)
    existing = {c.pk: c for c in AssessmentComponent.objects.for_school(school).filter(term=term)}
    errors, seen = {}, set()
    for n, row in enumerate(rows):
        if row["id"] is not None and (row["id"] not in existing or row["id"] in seen):
            errors[f"components.{n}.id"] = ["No such component in this term (or it is listed twice)."]
        seen.add(row["id"])
    if errors:
        raise invalid(errors, "Check the assessment components.")
    kept = {row["id"] for row in rows if row["id"] is not None}
    removed = [c for pk, c in existing.items() if pk not in kept]

    def differs(n, row):
        old = existing.get(row["id"])
        return old is None or (old.name, old.max_score, old.weight, old.position) != (
            row["name"],
            row["max_score"],
            row["weight"],
            n,
        )

    if not removed and not any(differs(n, row) for n, row in enumerate(rows)):
        return list(AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id"))
    _refuse_locked(school, term)
    entered = Score.objects.for_school(school).filter(Q(value__isnull=False) | Q(absent=True))
    highest = dict(
        entered.filter(component__term=term)
        .values("component_id")
        .annotate(top=Max("value"))
        .values_list("component_id", "top")
    )
    in_use = {}
    for component in removed:
        if component.pk in highest:
            message = f"Scores were entered for {component.name}: it cannot be removed."
            in_use.setdefault("components", []).append(message)
    for n, row in enumerate(rows):
        top = highest.get(row["id"])
        if top is not None and row["max_score"] < top:
            in_use[f"components.{n}.max_score"] = [
                f"A score of {_plain(top)} was entered: the maximum stays at least that."
            ]
    if in_use:
        raise AcademicsError(
            "Scores were entered against these components.", code=AcademicsErrorCode.COMPONENT_IN_USE, fields=in_use
        )
    AssessmentComponent.objects.for_school(school).filter(pk__in=[c.pk for c in removed]).delete()
    # Names are unique in a term: park the kept ones under placeholders first, so two may swap names.
    for pk in kept:
        AssessmentComponent.objects.for_school(school).filter(pk=pk).update(name=f"\x1f{pk}")
    saved = []
    for n, row in enumerate(rows):
        values = {"name": row["name"], "max_score": row["max_score"], "weight": row["weight"], "position": n}
        if row["id"] is None:
            saved.append(AssessmentComponent.objects.create(school=school, term=term, **values))
        else:
            component = existing[row["id"]]
            for key, value in values.items():
                setattr(component, key, value)
            component.save(update_fields=list(values))
            saved.append(component)
    audit(
        school=school,
        actor=actor,
        action="results.components_set",
        target=term,
        changes={"components": [f"{c.name} /{c.max_score:g} {c.weight:g}%" for c in saved]},
    )
    return saved


@transaction.atomic
def components_copy(*, school, actor, from_term, to_term):
    """Give `to_term` the components of `from_term` (replacing its own, under components_set's rules)."""
    if from_term.pk == to_term.pk:
        raise invalid({"from_term": ["Choose another term to copy from."]})
    source = AssessmentComponent.objects.for_school(school).filter(term=from_term).order_by("position", "id")
    rows = [{"name": c.name, "max_score": c.max_score, "weight": c.weight} for c in source]
    if not rows:
        raise invalid({"from_term": [f"{from_term} has no assessment components to copy."]})
    by_name = {c.name.casefold(): c.pk for c in AssessmentComponent.objects.for_school(school).filter(term=to_term)}
    for row in rows:
        row["id"] = by_name.get(row["name"].casefold())
    return components_set(school=school, actor=actor, term=to_term, components=rows)
