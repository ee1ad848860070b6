"""Admission settings a registrar keeps without the admin: which documents each class level requires,
and the pattern new admission numbers follow.

Changing the checklist changes what every open application is missing, so the counts the board
filters on are recounted in the same transaction (enrolled, rejected and withdrawn applications keep
the count they closed with). The pattern is checked against the rules a student's number must meet
(at most 40 characters, a sequence, no stray characters) before it is saved, so conversion never
meets a pattern it cannot use.
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.models import Counter
from schools.models import SchoolProfile
from schools.services import admission_number_render

from .. import checklist
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import OPEN_STATUSES, Application, ApplicationDocument, DocumentKind, DocumentRequirement
from ._base import class_levels

DEFAULT_PATTERN = "{YEAR}/{SEQ:4}"
PATTERN_FIELD = "admission_number_pattern"
PATTERN_MAX_LENGTH = 60  # SchoolProfile.admission_number_pattern
NUMBER_MAX_LENGTH = 40  # Student.admission_number
# A pattern is judged with a sequence this long too, so the number still fits the day the school
# passes its 100,000th admission (a pattern that only fits today would fail a conversion later).
HEADROOM_SEQ = 999_999
ADMISSION_COUNTER = "admission"
_TOKEN = re.compile(r"\{([^{}]*)\}")
_KNOWN = re.compile(r"^(?:YEAR|SLUG|SEQ(?::([0-9]{1,2}))?)$")
_LITERAL = re.compile(r"^[A-Za-z0-9/\-._ ]*$")
_PREVIEW_LOOKAHEAD = 20

TOKENS = (
    ("{YEAR}", "The first year of the current session (2025 for 2025/2026)."),
    ("{SEQ}", "The school's admission counter: 1, 2, 3 … without gaps."),
    ("{SEQ:4}", "The counter padded with zeros to 4 digits: 0001, 0002 … (any width from 1 to 12)."),
    ("{SLUG}", "The school's short name in capitals."),
)


# --- Documents checklist --------------------------------------------------------------------


def requirement_levels(*, school):
    """The levels the checklist offers: the school's class levels, then any level that still has
    rules although no class group teaches it any more (so they can be seen and removed)."""
    levels = class_levels(school=school)
    ruled = DocumentRequirement.objects.for_school(school).exclude(level="").values_list("level", flat=True).distinct()
    return levels + sorted(set(ruled) - set(levels))


def current_requirements(*, school, levels=None):
    """The (level, kind) pairs the checklist shows ticked, level "" meaning every level.

    A rule "not required for JSS 1" under "required for all levels" (possible in the admin) cannot
    be drawn as one tick per cell, so that kind is shown level by level as it applies: ticked for
    each level that requires it, not for all levels. Saving the page then keeps the same effect.
    """
    levels = requirement_levels(school=school) if levels is None else levels
    rules = {(r.level, r.kind): r.is_required for r in DocumentRequirement.objects.for_school(school)}
    ticked = set()
    for kind in checklist.KIND_ORDER:
        for_all = rules.get(("", kind), False)
        exempted = [level for level in levels if rules.get((level, kind)) is False]
        if for_all and exempted:
            ticked.update((level, kind) for level in levels if level not in exempted)
            continue
        if for_all:
            ticked.add(("", kind))
        ticked.update((level, kind) for level in levels if rules.get((level, kind)))
    return ticked


def clean_requirements(*, school, requirements, field="requirements"):
    """The pairs, de-duplicated and in checklist order; RegistrarError naming `field.<i>.level` or
    `field.<i>.kind` for a level the school does not teach or a kind that does not exist."""
    known = set(requirement_levels(school=school))
    errors, seen = {}, []
    for index, pair in enumerate(requirements):
        level, kind = pair
        level = (level or "").strip()
        if level and level not in known:
            errors.setdefault(f"{field}.{index}.level", []).append(
                _("“%(level)s” is not one of the school's class levels.") % {"level": level[:40]}
            )
        if kind not in DocumentKind.values:
            choices = ", ".join(checklist.kind_label(k) for k in checklist.KIND_ORDER)
            errors.setdefault(f"{field}.{index}.kind", []).append(
                _("Choose one of: %(choices)s.") % {"choices": choices}
            )
        if (level, kind) not in seen:
            seen.append((level, kind))
    if errors:
        raise RegistrarError(
            _("Some documents are not valid."), code=RegistrarErrorCode.INVALID_REQUIREMENTS, fields=errors
        )
    order = {kind: i for i, kind in enumerate(checklist.KIND_ORDER)}
    return sorted(seen, key=lambda p: (p[0], order[p[1]]))


def recount_open_applications(*, school):
    """Recounts `missing_documents` of the school's open applications after the checklist changed:
    one read of the rules per level (the same `requirements_for` every other recount uses), one
    read of the documents sent, and one UPDATE per resulting count. Returns how many changed.

    The applications are locked first, so a document arriving meanwhile (which locks its
    application too) is counted either by its own recount or by this one."""
    apps = list(
        Application.objects.for_school(school)
        .filter(status__in=OPEN_STATUSES)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", "class_level", "missing_documents")
    )
    if not apps:
        return 0
    required = {level: checklist.requirements_for(school=school, level=level) for level in {a[1] for a in apps}}
    sent = set(
        ApplicationDocument.objects.for_school(school)
        .filter(application__status__in=OPEN_STATUSES, status__in=checklist.COUNTED)
        .values_list("application_id", "kind")
        .distinct()
    )
    by_count = {}
    for pk, level, before in apps:
        count = sum(1 for kind in required[level] if (pk, kind) not in sent)
        if count != before:
            by_count.setdefault(count, []).append(pk)
    for count, pks in by_count.items():
        Application.objects.for_school(school).filter(pk__in=pks).update(missing_documents=count)
    return sum(len(pks) for pks in by_count.values())


@transaction.atomic
def document_requirements_set(*, school, actor, requirements):
    """Replaces the school's documents checklist with `requirements`, (level, kind) pairs where
    level "" means every level, and recounts what each open application is missing.

    Returns the number of open applications whose missing count changed. Nothing is written when
    the checklist is unchanged."""
    # One writer at a time per school: the profile row is the school's settings lock.
    SchoolProfile.objects.select_for_update().get_or_create(school=school)
    pairs = clean_requirements(school=school, requirements=requirements)
    rows = DocumentRequirement.objects.for_school(school)
    before = sorted((r.level, r.kind, r.is_required) for r in rows)
    after = sorted((level, kind, True) for level, kind in pairs)
    if before == after:
        return 0
    rows.delete()
    DocumentRequirement.objects.bulk_create(
        [DocumentRequirement(school=school, level=level, kind=kind, is_required=True) for level, kind in pairs]
    )
    changed = recount_open_applications(school=school)
    audit(
        school=school,
        actor=actor,
        action="registrar.document_requirements_set",
        target_label="Documents checklist",
        changes={
            "before": [_describe(r) for r in before],
            "after": [_describe(r) for r in after],
            "recounted_applications": changed,
        },
    )
    return changed


def _describe(rule):
    level, kind, required = rule
    text = f"{checklist.kind_label(kind)}: {level or 'all levels'}"
    return text if required else f"{text} (not required)"


# --- Admission number pattern ---------------------------------------------------------------


def admission_year(*, school):
    """{YEAR} as `schools.services.admission_number_allocate` fills it."""
    session = school.sessions.filter(is_current=True).first()
    return session.start_date.year if session else school.local_today().year


def clean_admission_pattern(*, school, pattern):
    """The pattern, stripped, if every number it makes is a valid admission number; else
    RegistrarError naming `admission_number_pattern` with every problem found."""
    pattern = (pattern or "").strip()
    if not pattern:
        message = _("Enter a pattern, for example {YEAR}/{SEQ:4}.")
        raise RegistrarError(message, code=RegistrarErrorCode.INVALID_PATTERN, fields={PATTERN_FIELD: [message]})
    problems = []
    if len(pattern) > PATTERN_MAX_LENGTH:
        message = _("Keep the pattern to %(max)s characters (it has %(length)s).")
        problems.append(message % {"max": PATTERN_MAX_LENGTH, "length": len(pattern)})
    unknown = [m.group(0) for m in _TOKEN.finditer(pattern) if not _KNOWN.match(m.group(1))]
    if unknown:
        names = ", ".join(dict.fromkeys(unknown))
        problems.append(_("Unknown token %(names)s: use {YEAR}, {SEQ}, {SEQ:4} or {SLUG}.") % {"names": names})
    widths = [m.group(1) for m in _TOKEN.finditer(pattern) if _KNOWN.match(m.group(1))]
    if not any(t.startswith("SEQ") for t in widths):
        problems.append(_("Include {SEQ} or {SEQ:4}: it makes each number unique."))
    for token in widths:
        if token.startswith("SEQ:") and not 1 <= int(token[4:]) <= 12:
            problems.append(_("%(token)s: pad the sequence to between 1 and 12 digits.") % {"token": f"{{{token}}}"})
    literal = _TOKEN.sub("", pattern)
    bad = sorted(set(ch for ch in literal if not _LITERAL.match(ch)))
    if bad:
        shown = " ".join(bad)
        problems.append(
            _("Use only letters, digits, spaces and / - . _ between the tokens (not %(shown)s).") % {"shown": shown}
        )
    if not problems:
        seq = max(_current_seq(school) + 1, HEADROOM_SEQ)
        longest = admission_number_render(pattern, year=admission_year(school=school), seq=seq, slug=school.slug)
        if len(longest) > NUMBER_MAX_LENGTH:
            problems.append(
                _("Numbers would be up to %(length)s characters long (%(longest)s); keep them to %(max)s.")
                % {"length": len(longest), "longest": longest, "max": NUMBER_MAX_LENGTH}
            )
    if problems:
        raise RegistrarError(problems[0], code=RegistrarErrorCode.INVALID_PATTERN, fields={PATTERN_FIELD: problems})
    return pattern


def _current_seq(school):
    # Read, never get_or_create: a preview must not write (nor lock) the counter.
    value = Counter.objects.filter(school=school, key=ADMISSION_COUNTER).values_list("value", flat=True).first()
    return value or 0


def current_pattern(*, school):
    profile = SchoolProfile.objects.filter(school=school).first()
    return (profile.admission_number_pattern if profile else "") or DEFAULT_PATTERN


def admission_number_preview(*, school, pattern=None):
    """The number the next conversion would get with `pattern` (default: the saved one), without
    taking it: the counter is read, not advanced, and numbers already held by students are skipped
    as the real numbering skips them. RegistrarError if the pattern is not valid."""
    pattern = clean_admission_pattern(
        school=school, pattern=current_pattern(school=school) if pattern is None else pattern
    )
    year, start = admission_year(school=school), _current_seq(school) + 1
    candidates = [
        admission_number_render(pattern, year=year, seq=seq, slug=school.slug)
        for seq in range(start, start + _PREVIEW_LOOKAHEAD)
    ]
    taken = set(school.students.filter(admission_number__in=candidates).values_list("admission_number", flat=True))
    return next((number for number in candidates if number not in taken), candidates[-1])


@transaction.atomic
def admission_pattern_set(*, school, actor, pattern):
    """Saves the pattern new admission numbers follow (numbers already given are kept). Returns the
    profile."""
    pattern = clean_admission_pattern(school=school, pattern=pattern)
    profile, _created = SchoolProfile.objects.select_for_update().get_or_create(school=school)
    previous = profile.admission_number_pattern
    if previous == pattern:
        return profile
    profile.admission_number_pattern = pattern
    profile.save(update_fields=["admission_number_pattern"])
    audit(
        school=school,
        actor=actor,
        action="registrar.admission_pattern_set",
        target=profile,
        changes={PATTERN_FIELD: [previous, pattern]},
    )
    return profile


def settings_summary(*, school):
    """What the settings page and the API show: levels, ticked pairs, pattern and next number."""
    levels = requirement_levels(school=school)
    pattern = current_pattern(school=school)
    preview, problems = None, []
    try:
        preview = admission_number_preview(school=school, pattern=pattern)
    except RegistrarError as exc:
        # A pattern saved in the admin before these rules: conversion may still use it, so say why
        # it would be refused today rather than hide it.
        problems = exc.fields.get(PATTERN_FIELD, [exc.message])
    return {
        "levels": levels,
        "requirements": current_requirements(school=school, levels=levels),
        "admission_number_pattern": pattern,
        "next_admission_number": preview,
        "pattern_problems": problems,
    }


__all__ = [
    "TOKENS",
    "admission_number_preview",
    "admission_pattern_set",
    "clean_admission_pattern",
    "clean_requirements",
    "current_requirements",
    "document_requirements_set",
    "recount_open_applications",
    "requirement_levels",
    "settings_summary",
]
