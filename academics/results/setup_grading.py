"""Results set-up, continued: grade scales, the results policy and the comment bank (subjects,
teachers and components are in setup.py, whose rules hold here too: a refused write changes
nothing and names each bad field)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from classpoint.audit import audit
from classpoint.bounds import MAX_AMOUNT_MINOR

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import CommentBank, GradeBand, GradeScale, ResultsPolicy
from . import compute
from .policy import PRESETS, policy_for, scale_from_preset
from .setup import UNSET, clean_number, clean_text, invalid

MAX_LINK_DAYS = 365
MAX_BANDS = 20
CommentKind = CommentBank.Kind


# --- Grade scales and the policy -------------------------------------------------------------------


def _bound(raw, key, found):
    """A band's bound: a total from 0 to 100 at one decimal."""
    return clean_number(
        raw.get(key), field=key, errors=found, low=0, high=100, places=compute.ONE_DECIMAL, low_inclusive=True
    )


def _band_rows(bands):
    if not isinstance(bands, list | tuple) or not 1 <= len(bands) <= MAX_BANDS:
        raise invalid({"bands": [f"Give from 1 to {MAX_BANDS} bands."]}, "Check the grade bands.")
    errors, rows = {}, []
    for n, raw in enumerate(bands):
        raw = raw if isinstance(raw, dict) else {}
        found = {}
        row = {
            "letter": clean_text(raw.get("letter"), field="letter", label="a grade", max_length=4, errors=found),
            "min_score": _bound(raw, "min_score", found),
            "max_score": _bound(raw, "max_score", found),
            "remark": clean_text(
                raw.get("remark"), field="remark", label="", max_length=40, errors=found, required=False
            ),
            "points": clean_number(
                raw.get("points") if raw.get("points") not in (None, "") else 0,
                field="points",
                errors=found,
                low=0,
                high=Decimal("99.99"),
                low_inclusive=True,
            ),
        }
        errors.update({f"bands.{n}.{key}": value for key, value in found.items()})
        rows.append(row)
    if errors:
        raise invalid(errors, "Check the grade bands.")
    problems = compute.bands_problems([compute.Band(**row) for row in rows])
    if problems:
        raise invalid({"bands": problems}, " ".join(problems))
    return rows


@transaction.atomic
def grade_scale_save(*, school, actor, name, bands, scale=None):
    """Create a scale, or replace the bands of `scale` (or of the school's scale called `name`).
    Bands must cover 0 to 100 at one decimal with no gap and no overlap."""
    errors = {}
    name = clean_text(name, field="name", label="the scale's name", max_length=60, errors=errors)
    if errors:
        raise invalid(errors, "Check the grade scale.")
    rows = _band_rows(bands)
    scales = GradeScale.objects.for_school(school)
    if scale is None:
        scale = scales.filter(name=name).first()
    elif scales.filter(name=name).exclude(pk=scale.pk).exists():
        raise invalid({"name": [f"Another scale is called {name}."]}, "Check the grade scale.")
    created = scale is None
    if created:
        scale = GradeScale.objects.create(school=school, name=name)
    else:
        scale = scales.select_for_update().get(pk=scale.pk)
        if scale.name != name:
            scale.name = name
            scale.save(update_fields=["name"])
        GradeBand.objects.for_school(school).filter(scale=scale).delete()
    GradeBand.objects.bulk_create(GradeBand(school=school, scale=scale, **row) for row in rows)
    audit(
        school=school,
        actor=actor,
        action="results.grade_scale_created" if created else "results.grade_scale_saved",
        target=scale,
        changes={"bands": [f"{r['letter']} {r['min_score']}-{r['max_score']}" for r in rows]},
    )
    return scale


@transaction.atomic
def grade_scale_from_preset(*, school, actor, preset, use=False):
    """The school's copy of a preset scale ("waec" or "us"), made the school's scale if `use`."""
    if preset not in PRESETS:
        raise invalid({"preset": ["Choose one of the preset scales."]}, "No such preset scale.")
    scale = scale_from_preset(school=school, key=preset)
    audit(school=school, actor=actor, action="results.grade_scale_preset", target=scale, changes={"preset": preset})
    if use:
        results_policy_update(school=school, actor=actor, grade_scale=scale)
    return scale


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


@transaction.atomic
def results_policy_update(
    *,
    school,
    actor,
    grade_scale=UNSET,
    show_class_position=UNSET,
    show_subject_position=UNSET,
    withhold_owing_above_minor=UNSET,
    link_days=UNSET,
):
    """Change the settings given (`withhold_owing_above_minor` None: never withhold)."""
    policy_for(school)
    policy = ResultsPolicy.objects.for_school(school).select_for_update().get()
    errors, wanted = {}, {}
    if grade_scale is not UNSET:
        if grade_scale is None or grade_scale.school_id != school.pk:
            errors["grade_scale"] = ["Choose one of the school's grade scales."]
        elif not GradeBand.objects.for_school(school).filter(scale=grade_scale).exists():
            errors["grade_scale"] = [f"{grade_scale} has no bands yet."]
        else:
            wanted["grade_scale"] = grade_scale
    for key, value in (("show_class_position", show_class_position), ("show_subject_position", show_subject_position)):
        if value is not UNSET:
            wanted[key] = bool(value)
    if withhold_owing_above_minor is not UNSET:
        value = withhold_owing_above_minor
        if value is not None and not (_whole(value) and 0 <= value <= MAX_AMOUNT_MINOR):
            errors["withhold_owing_above_minor"] = ["Enter an amount from 0, or leave it empty to never withhold."]
        wanted["withhold_owing_above_minor"] = value
    if link_days is not UNSET:
        if not (_whole(link_days) and 1 <= link_days <= MAX_LINK_DAYS):
            errors["link_days"] = [f"Enter a number of days from 1 to {MAX_LINK_DAYS}."]
        wanted["link_days"] = link_days
    if errors:
        raise invalid(errors, "Check the results settings.")
    changes = {key: value for key, value in wanted.items() if getattr(policy, key) != value}
    if changes:
        for key, value in changes.items():
            setattr(policy, key, value)
        policy.save(update_fields=[*changes, "updated_at"])
        if "grade_scale" in changes:
            changes["grade_scale"] = changes["grade_scale"].pk
        audit(school=school, actor=actor, action="results.policy_updated", target=policy, changes=changes)
    return policy


# --- Comment bank ----------------------------------------------------------------------------------

DEFAULT_COMMENTS = {
    CommentKind.FORM_TEACHER: (
        "An excellent term: keep it up.",
        "A hardworking and well-behaved pupil.",
        "Good progress this term; more effort in class work will help.",
        "Participates well in class and helps others.",
        "Capable of better results with more concentration.",
        "Needs to pay more attention in class.",
        "Punctual and neat; a pleasure to teach.",
        "Should read more and complete assignments on time.",
        "Improved steadily this term: well done.",
        "Shows leadership among classmates.",
        "Talks too much in class; needs to settle down to work.",
        "Needs to attend school more regularly.",
    ),
    CommentKind.HEAD: (
        "An outstanding result. Well done.",
        "A very good result. Keep it up.",
        "A good result; aim higher next term.",
        "A fair result; there is room for improvement.",
        "Work harder next term.",
        "A disappointing result: more effort is needed.",
        "Promoted to the next class.",
        "Promoted on trial.",
        "Advised to repeat the class.",
        "Commendable conduct and effort.",
        "Keep up the good conduct and work harder at your studies.",
        "Parents are asked to see the head teacher.",
    ),
}


def comment_bank(school, kind=None):
    """The bank's comments (of one kind if given), by kind and position. An empty bank is given the
    defaults when it is read (two readers at once seed it once), as the policy is made on first use."""
    entries = CommentBank.objects.for_school(school)
    if not entries.exists():
        CommentBank.objects.bulk_create(
            [
                CommentBank(school=school, kind=key, text=text, position=n)
                for key, texts in DEFAULT_COMMENTS.items()
                for n, text in enumerate(texts)
            ],
            ignore_conflicts=True,
        )
    if kind:
        entries = entries.filter(kind=kind)
    return list(entries.order_by("kind", "position", "id"))


@transaction.atomic
def comment_bank_add(*, school, actor, kind, text):
    comment_bank(school)  # seeded first: a comment added to an empty bank must not keep the defaults out
    errors = {}
    text = clean_text(text, field="text", label="the comment", max_length=500, errors=errors)
    if kind not in CommentKind.values:
        errors["kind"] = ["Choose form teacher or head."]
    elif text and CommentBank.objects.for_school(school).filter(kind=kind, text__iexact=text).exists():
        errors["text"] = ["The bank has this comment already."]
    if errors:
        raise AcademicsError("Check the comment.", code=AcademicsErrorCode.COMMENT_INVALID, fields=errors)
    last = CommentBank.objects.for_school(school).filter(kind=kind).aggregate(top=Max("position"))["top"]
    entry = CommentBank.objects.create(school=school, kind=kind, text=text, position=(last or 0) + 1)
    audit(school=school, actor=actor, action="results.comment_added", target=entry, changes={"kind": kind})
    return entry


@transaction.atomic
def comment_bank_remove(*, school, actor, entry):
    label = str(entry)
    CommentBank.objects.for_school(school).filter(pk=entry.pk).delete()
    audit(school=school, actor=actor, action="results.comment_removed", target_label=label, changes={})
