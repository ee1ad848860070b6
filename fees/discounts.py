"""Sibling discounts: which child of the family a student is, and what that takes off tuition.
One place for the rule, used by single and bulk invoicing alike."""

from collections import defaultdict

from schools.models import Enrollment, StudentGuardian

from .models import FeeItem, SiblingDiscount
from .money import percent_of


def child_positions(*, school, term, student_ids):
    """student_id -> position among the children of their primary guardian enrolled in `term`
    (1 = eldest; ties broken by admission number). Two queries whatever the number of students."""
    primary = dict(
        StudentGuardian.objects.for_school(school).filter(student_id__in=student_ids, is_primary=True)
        .values_list("student_id", "guardian_id")
    )  # fmt: skip
    families = defaultdict(list)
    enrolled = Enrollment.objects.for_school(school).filter(term=term, status="active").values("student_id")
    siblings = (
        StudentGuardian.objects.for_school(school).filter(guardian_id__in=set(primary.values()), is_primary=True)
        .filter(student__in=enrolled)
        .values_list("guardian_id", "student_id", "student__date_of_birth", "student__admission_number")
    )  # fmt: skip
    for guardian_id, student_id, born, number in siblings:
        families[guardian_id].append((born is None, born, number, student_id))
    positions = {}
    for members in families.values():
        for index, (*_, student_id) in enumerate(sorted(members), start=1):
            positions[student_id] = index
    return {sid: positions.get(sid, 1) for sid in student_ids}


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
