"""A school's results settings and grade scales: the two presets a school picks from (a common
Nigerian secondary scale, WAEC's A1–F9, and a US A–F scale), created with the policy on first use."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from ..models import GradeBand, GradeScale, ResultsPolicy
from .compute import Band

D = Decimal
# (letter, lowest, highest, remark, points), highest band first.
PRESETS = {
    "waec": (
        "Nigerian secondary (A1–F9)",
        (
            ("A1", D("75.0"), D("100.0"), "Excellent", D("1")),
            ("B2", D("70.0"), D("74.9"), "Very good", D("2")),
            ("B3", D("65.0"), D("69.9"), "Good", D("3")),
            ("C4", D("60.0"), D("64.9"), "Credit", D("4")),
            ("C5", D("55.0"), D("59.9"), "Credit", D("5")),
            ("C6", D("50.0"), D("54.9"), "Credit", D("6")),
            ("D7", D("45.0"), D("49.9"), "Pass", D("7")),
            ("E8", D("40.0"), D("44.9"), "Pass", D("8")),
            ("F9", D("0.0"), D("39.9"), "Fail", D("9")),
        ),
    ),
    "us": (
        "US letter grades (A–F)",
        (
            ("A", D("90.0"), D("100.0"), "Excellent", D("4.0")),
            ("B", D("80.0"), D("89.9"), "Good", D("3.0")),
            ("C", D("70.0"), D("79.9"), "Satisfactory", D("2.0")),
            ("D", D("60.0"), D("69.9"), "Passing", D("1.0")),
            ("F", D("0.0"), D("59.9"), "Failing", D("0.0")),
        ),
    ),
}
DEFAULT_PRESET = "waec"


def scale_from_preset(*, school, key):
    """The school's copy of a preset scale (made once; the same name answers with the existing one)."""
    name, bands = PRESETS[key]
    scale, created = GradeScale.objects.for_school(school).get_or_create(school=school, name=name)
    if created:
        GradeBand.objects.bulk_create(
            GradeBand(
                school=school, scale=scale, letter=letter, min_score=low, max_score=high, remark=remark, points=points
            )
            for letter, low, high, remark, points in bands
        )
    return scale


def policy_for(school):
    """The school's results policy, created on first use with the default scale (two requests at
    once make one)."""
    policy = ResultsPolicy.objects.for_school(school).select_related("grade_scale").first()
    if policy is not None:
        if policy.grade_scale_id is None:
            policy.grade_scale = scale_from_preset(school=school, key=DEFAULT_PRESET)
            policy.save(update_fields=["grade_scale", "updated_at"])
        return policy
    try:
        with transaction.atomic():
            scale = scale_from_preset(school=school, key=DEFAULT_PRESET)
            return ResultsPolicy.objects.create(school=school, grade_scale=scale)
    except IntegrityError:
        return ResultsPolicy.objects.for_school(school).select_related("grade_scale").get()


def bands_of(scale):
    """A scale's bands as the arithmetic takes them, highest first."""
    if scale is None:
        return []
    return [
        Band(letter=b.letter, min_score=b.min_score, max_score=b.max_score, remark=b.remark, points=b.points)
        for b in GradeBand.objects.for_school(scale.school_id).filter(scale=scale).order_by("-min_score")
    ]
