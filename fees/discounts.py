"""Discounts: which child of the family a student is and what that takes off tuition, then the
student's approved scholarships and waivers. One place for the rule, used by single and bulk
invoicing and by an award approved after the invoice exists."""

from collections import defaultdict, namedtuple

from schools.models import Enrollment, StudentGuardian

from .models import FeeItem, InvoiceDiscount, SiblingDiscount, StudentAward
from .money import percent_of


def child_positions(*, school, term, student_ids):
    """student_id -> position among the children of their primary guardian enrolled in `term`
    (1 = eldest; ties broken by admission number). Two queries whatever the number of students."""
    primary = dict(
        StudentGuardian.objects.for_school(school)
        .filter(student_id__in=student_ids, is_primary=True)
        .values_list("student_id", "guardian_id")
    )
    families = defaultdict(list)
    enrolled = Enrollment.objects.for_school(school).filter(term=term, status="active").values("student_id")
    siblings = (
        StudentGuardian.objects.for_school(school)
        .filter(guardian_id__in=set(primary.values()), is_primary=True)
        .filter(student__in=enrolled)
        .values_list("guardian_id", "student_id", "student__date_of_birth", "student__admission_number")
    )
    for guardian_id, student_id, born, number in siblings:
        families[guardian_id].append((born is None, born, number, student_id))
    positions = {}
    for members in families.values():
        for index, (*_, student_id) in enumerate(sorted(members), start=1):
            positions[student_id] = index
    return {sid: positions.get(sid, 1) for sid in student_ids}


Discount = namedtuple("Discount", "kind description amount_minor award")


def discount_rows(*, school, invoice, applied):
    """The InvoiceDiscount rows (unsaved, for one bulk_create) recording the discounts `applied` to
    `invoice`: the invoice shows each one, and an award's row lets it be taken back later."""
    return [
        InvoiceDiscount(
            school=school,
            invoice=invoice,
            kind=d.kind,
            description=d.description,
            amount_minor=d.amount_minor,
            award=d.award,
        )
        for d in applied
    ]


def rules(school):
    return list(SiblingDiscount.objects.for_school(school).order_by("child_position"))


def sibling_discount(*, position, lines, school_rules):
    """(amount_minor, description) for a child at `position`, on the tuition lines; (0, "") if none."""
    applicable = [r for r in school_rules if r.child_position <= position]
    if not applicable:
        return 0, ""
    rule = applicable[-1]
    tuition = sum(line.amount_minor for line in lines if line.fee_item.category == FeeItem.Category.TUITION)
    amount = percent_of(tuition, rule.percent)
    percent = f"{rule.percent:f}".rstrip("0").rstrip(".")  # 20.00 -> "20", 12.50 -> "12.5"
    return amount, f"Sibling discount ({percent}% of tuition, child {position})"


def approved_awards(*, school, term, student_ids):
    """student_id -> the approved awards of `term`. One query whatever the number of students."""
    awards = defaultdict(list)
    approved = (
        StudentAward.objects.for_school(school)
        .filter(term=term, student_id__in=student_ids)
        .filter(status=StudentAward.Status.APPROVED)
        .select_related("school")
        .order_by("id")
    )
    for award in approved:
        awards[award.student_id].append(award)
    return awards


def _category(line):
    return line.fee_item.category if line.fee_item_id else ""


def award_discounts(*, lines, awards, taken=None):
    """Discounts for approved awards, on top of what is already `taken` ({category: amount}: the sibling
    discount comes off tuition first). A percentage is of the gross amount of its category (or of the
    whole invoice); each award is capped at what is left of that base, so a 100% tuition scholarship
    with a sibling discount zeroes tuition and the discounts never pass the subtotal. Awards for one
    category come before awards for the whole invoice, each group in the order they were made."""
    gross = defaultdict(int)
    for line in lines:
        gross[_category(line)] += line.amount_minor
    left = {category: amount - (taken or {}).get(category, 0) for category, amount in gross.items()}
    result = []
    for award in sorted(awards, key=lambda a: (a.fee_category == "", a.pk)):
        categories = [award.fee_category] if award.fee_category else list(left)
        base = sum(gross.get(c, 0) for c in categories)
        wanted = percent_of(base, award.percent) if award.mode == StudentAward.Mode.PERCENT else award.amount_minor
        amount = max(0, min(wanted, sum(left.get(c, 0) for c in categories)))
        if not amount:
            continue
        remaining = amount
        for category in categories:
            part = min(remaining, left[category])
            left[category] -= part
            remaining -= part
        description = f"{award.get_kind_display()} ({award.describe}): {award.reason}"
        result.append(Discount(award.kind, description[:200], amount, award))
    return result


def invoice_discounts(*, lines, position, school_rules, awards):
    """Every discount of a new invoice, in the order they apply: sibling, then awards."""
    amount, note = sibling_discount(position=position, lines=lines, school_rules=school_rules)
    sibling = [Discount("sibling", note, amount, None)] if amount else []
    return sibling + award_discounts(lines=lines, awards=awards, taken={FeeItem.Category.TUITION: amount})
