"""Fee set-up beyond creation (which lives in fees.services): edit and retire fee items, replace a
schedule's lines, delete a schedule nothing was invoiced from, the sibling discount rules.

Invoices copy their lines when they are made and do not point at the schedule, so nothing here
changes an invoice that already exists: edits count from the next invoice on.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction

from classpoint.audit import audit
from schools.models import SchoolProfile

from .errors import FeesError, FeesErrorCode
from .models import FeeItem, FeeSchedule, FeeScheduleLine, Invoice, InvoiceLine, SiblingDiscount
from .money import to_minor

# "45000", "45000.5", "45,000.00" (thousands grouped by commas or not at all).
_AMOUNT = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$")
_PERCENT = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,2})?$")
# A trillion in major units is beyond any school fee: a typo, not a price.
_MAX_MAJOR_DIGITS = 12
MAX_LINES = 60


def parse_amount(text):
    """Minor units from an amount typed in major units ("45,000.00" -> 4500000). ValueError with a
    message fit for the form when it is not a plain non-negative amount."""
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise ValueError("Enter an amount.")
    if not _AMOUNT.match(cleaned):
        raise ValueError("Enter an amount like 45,000.00 or 45000 (digits, at most two decimals).")
    if len(cleaned.replace(",", "").split(".")[0]) > _MAX_MAJOR_DIGITS:
        raise ValueError("That amount is too large.")
    return to_minor(cleaned.replace(",", ""))


def parse_percent(text):
    """A discount percent typed as "10" or "12.5": more than 0, at most 100, two decimals at most."""
    cleaned = (text or "").strip().rstrip("%").strip()
    if not _PERCENT.match(cleaned):
        raise ValueError("Enter a percentage like 10 or 12.5 (at most two decimals).")
    value = Decimal(cleaned)
    if value <= 0 or value > 100:
        raise ValueError("Enter a percentage above 0 and at most 100.")
    return value.quantize(Decimal("0.01"))


def _in_school(school, **objects):
    for field, obj in objects.items():
        if obj is not None and obj.school_id != school.pk:
            raise FeesError("Not found.", code=FeesErrorCode.NOT_FOUND, fields={field: ["Not found in this school."]})


def fee_item_in_use(*, school, item):
    """On a schedule or an invoice. Its code is then fixed: integrators and exports name fees by it."""
    return (
        FeeScheduleLine.objects.for_school(school).filter(fee_item=item).exists()
        or InvoiceLine.objects.for_school(school).filter(fee_item=item).exists()
    )


# --- Fee items ------------------------------------------------------------------------------


@transaction.atomic
def fee_item_update(*, school, actor, item, name, category, default_amount_minor, code=None):
    _in_school(school, fee_item=item)
    item = FeeItem.objects.for_school(school).select_for_update().get(pk=item.pk)
    code = item.code if code is None else code.strip()
    errors = {}
    if code != item.code:
        try:
            validate_slug(code)
        except ValidationError:
            errors["code"] = ["Use letters, digits, hyphens or underscores."]
        if not errors and fee_item_in_use(school=school, item=item):
            errors["code"] = ["The code cannot change: this fee is on a schedule or an invoice."]
        elif not errors and FeeItem.objects.for_school(school).filter(code=code).exclude(pk=item.pk).exists():
            errors["code"] = [f"A fee item “{code}” exists."]
    if not (name or "").strip():
        errors["name"] = ["Give the fee a name."]
    if category not in FeeItem.Category.values:
        errors["category"] = ["Choose a category."]
    if default_amount_minor < 0:
        errors["default_amount_minor"] = ["Amounts cannot be negative."]
    if errors:
        raise FeesError("Check the fee item.", code=FeesErrorCode.INVALID_FEE_ITEM, fields=errors)
    new = {"code": code, "name": name.strip(), "category": category, "default_amount_minor": default_amount_minor}
    changes = {field: [getattr(item, field), value] for field, value in new.items() if getattr(item, field) != value}
    if not changes:
        return item
    for field, value in new.items():
        setattr(item, field, value)
    item.save(update_fields=list(new))
    audit(school=school, actor=actor, action="fee_item.updated", target=item, changes=changes)
    return item


@transaction.atomic
def fee_item_set_active(*, school, actor, item, is_active):
    """Retire a fee (no longer offered for new schedule lines) or bring it back. Schedules that list
    it keep it, so retiring never changes what a class is billed; remove the line to do that."""
    _in_school(school, fee_item=item)
    updated = (
        FeeItem.objects.for_school(school).filter(pk=item.pk).exclude(is_active=is_active).update(is_active=is_active)
    )
    item.is_active = is_active
    if updated:
        audit(
            school=school,
            actor=actor,
            action="fee_item.reactivated" if is_active else "fee_item.deactivated",
            target=item,
        )
    return item


# --- Fee schedules --------------------------------------------------------------------------


def schedule_line_errors(*, school, lines, allowed_inactive=frozenset()):
    """All the line errors at once (`lines.<i>.<field>`), so a form can show every one of them.
    A line whose `fee_item` is None is one the form already refused: it is only counted."""
    errors, seen = {}, set()
    if not lines:
        errors["lines"] = ["Add at least one fee."]
    if len(lines) > MAX_LINES:
        errors["lines"] = [f"A schedule holds at most {MAX_LINES} fees."]
    for index, line in enumerate(lines):
        item = line["fee_item"]
        if item is None:
            continue
        if item.school_id != school.pk:
            errors[f"lines.{index}.fee_item"] = ["Not found in this school."]
            continue
        if item.pk in seen:
            errors[f"lines.{index}.fee_item"] = ["This fee is already listed."]
        elif not item.is_active and item.pk not in allowed_inactive:
            errors[f"lines.{index}.fee_item"] = [f"“{item.name}” is retired; reactivate it to add it."]
        seen.add(item.pk)
        if line["amount_minor"] < 0:
            errors[f"lines.{index}.amount_minor"] = ["Amounts cannot be negative."]
    return errors


@transaction.atomic
def fee_schedule_update(*, school, actor, schedule, name, lines, class_group=None, level=""):
    """Rename, re-target (class or level, same term) and replace every line of a schedule.

    `lines` as for `fee_schedule_create`. Invoices already made keep their own lines."""
    _in_school(school, schedule=schedule, class_group=class_group)
    schedule = FeeSchedule.objects.for_school(school).select_for_update().get(pk=schedule.pk)
    level = (level or "").strip()
    before = list(schedule.lines.select_related("fee_item").order_by("id"))
    errors = {}
    if not (name or "").strip():
        errors["name"] = ["Give the schedule a name."]
    if (class_group is None) == (not level):
        errors["class_group"] = ["Choose a class group or a level."]
    else:
        clash = FeeSchedule.objects.for_school(school).filter(term_id=schedule.term_id).exclude(pk=schedule.pk)
        clash = clash.filter(class_group=class_group) if class_group else clash.filter(level=level)
        if clash.exists():
            errors["class_group" if class_group else "level"] = ["This term already has a schedule for it."]
    allowed_inactive = {line.fee_item_id for line in before}
    errors.update(schedule_line_errors(school=school, lines=lines, allowed_inactive=allowed_inactive))
    if any(line["fee_item"] is None for line in lines):
        errors.setdefault("lines", ["Choose a fee on every line."])
    if errors:
        raise FeesError("Check the schedule.", code=FeesErrorCode.INVALID_SCHEDULE, fields=errors)
    schedule.name, schedule.class_group, schedule.level = name.strip(), class_group, level
    try:
        with transaction.atomic():
            schedule.save(update_fields=["name", "class_group", "level"])
    except IntegrityError as exc:  # another schedule for the same class or level won a race
        raise FeesError(
            "Schedule exists.",
            code=FeesErrorCode.DUPLICATE_SCHEDULE,
            fields={"class_group": ["This term already has a schedule for it."]},
        ) from exc
    schedule.lines.all().delete()
    FeeScheduleLine.objects.bulk_create(
        [
            FeeScheduleLine(
                school=school,
                schedule=schedule,
                fee_item=line["fee_item"],
                amount_minor=line["amount_minor"],
                optional=line.get("optional", False),
                due_date=line.get("due_date"),
            )
            for line in lines
        ]
    )
    audit(
        school=school,
        actor=actor,
        action="fee_schedule.updated",
        target=schedule,
        changes={
            "name": schedule.name,
            "for": class_group.name if class_group else f"level {level}",
            "lines_before": [[line.fee_item.code, line.amount_minor] for line in before],
            "lines_after": [[line["fee_item"].code, line["amount_minor"]] for line in lines],
        },
    )
    return schedule


def invoices_made_from(*, school, schedule):
    """Live invoices that `invoice_create` would have priced from this schedule (invoices keep no
    link to it): its class's, or for a level schedule those of the level's classes without their
    own schedule that term."""
    invoices = Invoice.objects.for_school(school).filter(term_id=schedule.term_id).exclude(status=Invoice.Status.VOID)
    if schedule.class_group_id:
        return invoices.filter(class_group_id=schedule.class_group_id)
    own = FeeSchedule.objects.for_school(school).filter(term_id=schedule.term_id, class_group__isnull=False)
    return invoices.filter(class_group__level=schedule.level).exclude(class_group_id__in=own.values("class_group_id"))


@transaction.atomic
def fee_schedule_delete(*, school, actor, schedule):
    """Only while nothing was invoiced from it: afterwards it is the record of what those invoices
    were priced from (edit it instead; the invoices keep their lines)."""
    _in_school(school, schedule=schedule)
    schedule = (
        FeeSchedule.objects.for_school(school)
        .select_for_update(of=("self",))
        .select_related("term")
        .get(pk=schedule.pk)
    )
    used = invoices_made_from(school=school, schedule=schedule).count()
    if used:
        raise FeesError(
            "Schedule in use.",
            code=FeesErrorCode.SCHEDULE_IN_USE,
            fields={
                "schedule": [
                    f"{used} invoice{'s' if used != 1 else ''} for {schedule.term} were made from this "
                    "schedule; edit it instead (invoices already made keep their lines)."
                ]
            },
        )
    audit(
        school=school,
        actor=actor,
        action="fee_schedule.deleted",
        target=schedule,
        changes={"name": schedule.name, "term": str(schedule.term), "lines": schedule.lines.count()},
    )
    schedule.delete()


# --- Sibling discounts ----------------------------------------------------------------------


def sibling_rule_errors(rules):
    """Every problem with a set of rules (`rules.<i>.<field>`); a None value is one the form
    already refused and is skipped."""
    errors, seen = {}, set()
    for index, rule in enumerate(rules):
        position, percent = rule["child_position"], rule["percent"]
        if position is not None:
            if not 2 <= position <= 20:
                errors[f"rules.{index}.child_position"] = ["Use a child position from 2 (second child) to 20."]
            elif position in seen:
                errors[f"rules.{index}.child_position"] = ["There is already a rule for this child."]
            seen.add(position)
        if percent is not None:
            percent = Decimal(percent)
            if not 0 < percent <= 100 or percent != percent.quantize(Decimal("0.01")):
                errors[f"rules.{index}.percent"] = ["Enter a percentage above 0 and at most 100."]
    return errors


@transaction.atomic
def sibling_discounts_replace(*, school, actor, rules):
    """The school's whole set of sibling discount rules: `rules` is [{"child_position": int,
    "percent": Decimal}]; an empty list removes them all. Used by invoices made from now on."""
    if any(rule["child_position"] is None or rule["percent"] is None for rule in rules):
        raise FeesError(
            "Check the discount rules.",
            code=FeesErrorCode.INVALID_DISCOUNT_RULES,
            fields={"rules": ["Give every rule a child and a percentage."]},
        )
    errors = sibling_rule_errors(rules)
    if errors:
        raise FeesError("Check the discount rules.", code=FeesErrorCode.INVALID_DISCOUNT_RULES, fields=errors)
    existing = SiblingDiscount.objects.for_school(school).select_for_update().order_by("child_position")
    before = [[rule.child_position, f"{rule.percent:f}"] for rule in existing]
    after = sorted(
        [rule["child_position"], f"{Decimal(rule['percent']).quantize(Decimal('0.01')):f}"] for rule in rules
    )
    if before == after:
        return list(existing)
    SiblingDiscount.objects.for_school(school).delete()
    created = SiblingDiscount.objects.bulk_create(
        [SiblingDiscount(school=school, child_position=p, percent=Decimal(pct)) for p, pct in after]
    )
    audit(school=school, actor=actor, action="sibling_discounts.updated", changes={"before": before, "after": after})
    return created


MAX_DUE_DAYS = 365


@transaction.atomic
def invoice_due_days_set(*, school, actor, days):
    """How many days a family gets to pay an invoice issued after its schedule's due date (see
    fees.dues). Counts for invoices issued from now on."""
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DUE_DAYS:
        message = f"Enter a whole number of days from 0 to {MAX_DUE_DAYS}."
        raise FeesError(
            "Check the days to pay.", code=FeesErrorCode.INVALID_DUE_DAYS, fields={"invoice_due_days": [message]}
        )
    profile, _created = SchoolProfile.objects.select_for_update().get_or_create(school=school)
    before = profile.invoice_due_days
    if before == days:
        return profile
    profile.invoice_due_days = days
    profile.save(update_fields=["invoice_due_days"])
    school.profile = profile
    audit(school=school, actor=actor, action="invoice_due_days.updated", changes={"before": before, "after": days})
    return profile
