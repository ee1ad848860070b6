"""One row of every school-scoped model for a school, all under the same primary key, so that one id
probes every model's routes in one pass (`/invoices/<id>/`, `/students/<id>/`, ... all find a row).

The models come from the app registry and the rows are built from each model's fields, so a model
added later is seeded without editing this file; one whose constraints the generic build cannot
satisfy is named in the failures (then give it a recipe below)."""

import datetime
import graphlib
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from schools.models import School, SchoolScoped

SEEDED_ID = 987654
# Every seeded text carries it, so an answer that shows any seeded row shows the marker.
MARKER = "GFSECRET"
# Dates count up from here in field order, so an end declared after its start falls after it.
BASE_DAY = datetime.date(2026, 9, 1)

# Where a model's constraints defeat the generic build, the values that satisfy them.
RECIPES = {
    # A schedule is for a class or for a level, never both.
    "fees.FeeSchedule": {"level": ""},
    # A percent award names its percent (its check allows a NULL one, but no real award has it).
    "fees.StudentAward": {"percent": Decimal("10")},
    # A flagged payment, the one state every route of the flagged-payment queue acts on.
    "payments.PaymentTransaction": {"status": "flagged", "resolved_at": None},
}


def school_scoped_models():
    return [model for model in apps.get_models() if issubclass(model, SchoolScoped)]


def _scoped_targets(model, scoped, nullable=True):
    """The other school-scoped models this one points at (a row there is built first)."""
    return {
        field.related_model
        for field in model._meta.concrete_fields
        if field.is_relation
        and (nullable or not field.null)
        and field.related_model in scoped
        and field.related_model is not model
    }


def build_order(scoped):
    """Targets before the rows that point at them, in registry order otherwise. If nullable links
    ever form a cycle, only the required ones order the build (a nullable link to a row not built
    yet stays empty)."""
    try:
        return list(graphlib.TopologicalSorter({m: _scoped_targets(m, scoped) for m in scoped}).static_order())
    except graphlib.CycleError:
        required = {m: _scoped_targets(m, scoped, nullable=False) for m in scoped}
        return list(graphlib.TopologicalSorter(required).static_order())


def _carries_marker(field):
    """Whether the seeder writes the whole marker into this field (a choice, a short code or a text
    too short for it gets a valid value instead)."""
    if isinstance(field, models.FileField):
        return True
    return (
        isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and not getattr(field, "generated", False)
        and field.name != "currency"
        and (field.max_length is None or field.max_length >= len(MARKER))
    )


def _text(field, school):
    if field.name == "currency":  # a short code other code looks up: the school's own
        return school.currency
    if isinstance(field, models.EmailField):
        return f"{MARKER}@greenfield.test"
    if isinstance(field, models.URLField):
        return f"https://greenfield.test/{MARKER}"
    if _carries_marker(field):
        return MARKER
    return field.get_default() if field.has_default() else MARKER[: field.max_length]


def _value(field, position, school, staff, rows):
    if field.is_relation:
        target = field.related_model
        if target is School:
            return school
        if target is get_user_model():
            return staff
        if target in rows:
            return rows[target]
        if field.null:
            return None
        raise LookupError(f"{field.name} needs a {target._meta.label} row, which is not seeded")
    if field.choices:
        return field.get_default() if field.has_default() else field.flatchoices[0][0]
    if isinstance(field, models.FileField):
        return f"seed/{MARKER}.pdf"
    if isinstance(field, models.CharField | models.TextField):
        return _text(field, school)
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return Decimal("5")
    if isinstance(field, models.IntegerField):  # every integer kind, the big and small ones too
        return 5
    if isinstance(field, models.DateTimeField):  # before DateField: it is one
        return timezone.now()
    if isinstance(field, models.DateField):
        return BASE_DAY + datetime.timedelta(days=position)
    if isinstance(field, models.TimeField):
        return datetime.time(8 + position % 12)
    if isinstance(field, models.JSONField):
        return {}
    raise TypeError(f"no generic value for {field.name} ({type(field).__name__})")


def _build(model, school, staff, rows):
    recipe = RECIPES.get(model._meta.label, {})
    if unknown := set(recipe) - {field.name for field in model._meta.concrete_fields}:
        raise LookupError(f"the recipe names no field of the model: {sorted(unknown)}")
    values = {}
    for position, field in enumerate(model._meta.concrete_fields):
        if field.primary_key or getattr(field, "generated", False):
            continue
        if field.name in recipe:
            values[field.name] = recipe[field.name]
        else:
            values[field.name] = _value(field, position, school, staff, rows)
    row = model(pk=SEEDED_ID, **values)
    with transaction.atomic():
        row.save(force_insert=True)
    return row


def seed_school(school, staff):
    """Builds one row of every school-scoped model for `school`, each with pk SEEDED_ID, foreign keys
    to `staff` for users. Returns (rows by model, errors by model label); a model whose row could not
    be built is in the errors with what went wrong."""
    rows, errors = {}, {}
    for model in build_order(school_scoped_models()):
        try:
            rows[model] = _build(model, school, staff, rows)
        except Exception as exc:  # noqa: BLE001 - whatever stops a build is reported with the model's name
            errors[model._meta.label] = f"{type(exc).__name__}: {exc}"
    return rows, errors


def marked_fields(model):
    return [f.name for f in model._meta.concrete_fields if not f.primary_key and _carries_marker(f)]


def rows_with_marker(model, school):
    """The school's rows of `model` that carry the seed marker in any text."""
    names = marked_fields(model)
    if not names:
        return model.objects.none()
    condition = Q()
    for name in names:
        condition |= Q(**{f"{name}__contains": MARKER})
    return model.objects.for_school(school).filter(condition)


def snapshot(rows, school):
    """Each seeded row as it stands: a write that reached one changes or removes it."""
    return {model._meta.label: list(model.objects.for_school(school).filter(pk=SEEDED_ID).values()) for model in rows}
