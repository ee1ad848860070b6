"""The school's attendance policy and absence codes, created with sensible defaults the first time a
school takes a register (no school has to set anything up before its first morning)."""

from django.db import IntegrityError, transaction

from ..models import AbsenceCode, AttendancePolicy

Kind = AbsenceCode.Kind

# (code, label, kind, key, counts_as_present). The first four are the marks every register offers by
# one key; the excuse reasons and the school-day codes follow common practice (and California's
# attendance accounting, where suspension is excused and independent study counts as attending).
DEFAULT_CODES = [
    ("P", "Present", Kind.PRESENT, "p", True),
    ("A", "Absent (unexcused)", Kind.ABSENT, "a", False),
    ("L", "Late", Kind.LATE, "l", True),
    ("E", "Excused", Kind.EXCUSED, "e", False),
    ("E-ILL", "Excused: illness", Kind.EXCUSED, "i", False),
    ("E-MED", "Excused: medical appointment", Kind.EXCUSED, "m", False),
    ("E-FAM", "Excused: family emergency", Kind.EXCUSED, "f", False),
    ("E-REL", "Excused: religious observance", Kind.EXCUSED, "r", False),
    ("SUS", "Suspension", Kind.EXCUSED, "s", False),
    ("IS", "Independent study", Kind.PRESENT, "d", True),
    ("ACT", "School activity or trip", Kind.PRESENT, "t", True),
]


def policy_for(school):
    """The school's policy, created with defaults on first use (two requests at once make one)."""
    policy = AttendancePolicy.objects.for_school(school).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return AttendancePolicy.objects.create(school=school)
    except IntegrityError:
        return AttendancePolicy.objects.for_school(school).get()


def codes_for(school, *, active_only=True):
    """The school's absence codes in their order, the defaults created the first time."""
    codes = AbsenceCode.objects.for_school(school)
    if not codes.exists():
        codes_seed(school=school)
    if active_only:
        codes = codes.filter(is_active=True)
    return list(codes.order_by("position", "code"))


def codes_seed(*, school):
    """Create the default codes a school lacks (a code the school edited keeps its edits)."""
    have = set(AbsenceCode.objects.for_school(school).values_list("code", flat=True))
    missing = [
        AbsenceCode(
            school=school,
            code=code,
            label=label,
            kind=kind,
            key=key,
            counts_as_present=present,
            counts_toward_truancy=kind == Kind.ABSENT,
            position=position * 10,
        )
        for position, (code, label, kind, key, present) in enumerate(DEFAULT_CODES)
        if code not in have
    ]
    AbsenceCode.objects.bulk_create(missing, ignore_conflicts=True)
