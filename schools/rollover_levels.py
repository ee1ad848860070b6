"""Which class follows which at the year's end: levels in their natural order, and each class's
default place in the next level.

Levels are ordered by their stage ("Nursery" before "Primary" before "JSS" before "SS") and then by
their trailing number, so "JSS 10" follows "JSS 9" and "Primary 6" is followed by "JSS 1" where the
school has both. A level whose stage is unknown is followed only by the next number of the same
stage; a level with nothing after it is the final year, whose pupils graduate.

A class keeps its arm: "JSS 1A" goes to "JSS 2A", "Primary 3 Gold" to "Primary 4 Gold". When the next
level has a single class, every class goes there; otherwise a class with no matching arm has no
default and the admin chooses (the dry run says so)."""

import re

_LEVEL = re.compile(r"^(?P<stem>.*?)\s*(?P<number>\d+)\s*$")
_NOT_LETTERS = re.compile(r"[^a-z]")
# Stages in the order a pupil passes through them; names used for one stage share a rank.
_STAGES = {
    "creche": 0,
    "playgroup": 0,
    "prenursery": 1,
    "preschool": 1,
    "nursery": 2,
    "kindergarten": 3,
    "kg": 3,
    "reception": 4,
    "primary": 5,
    "basic": 5,
    "grade": 5,
    "year": 5,
    "jss": 6,
    "js": 6,
    "jhs": 6,
    "sss": 7,
    "ss": 7,
    "shs": 7,
}
_UNKNOWN = 99


def _parts(level):
    match = _LEVEL.match(level or "")
    stem, number = (match["stem"], int(match["number"][:9])) if match else (level or "", None)
    stem = _NOT_LETTERS.sub("", stem.lower())
    return stem, number


def level_key(level):
    """Sort key putting levels in the order pupils move through them."""
    stem, number = _parts(level)
    return (_STAGES.get(stem, _UNKNOWN), stem, number if number is not None else -1, level)


def next_levels(levels):
    """{level: the level after it, or None for a final year} for the given levels."""
    ordered = sorted(set(levels), key=level_key)
    following = {}
    for index, level in enumerate(ordered):
        after = ordered[index + 1] if index + 1 < len(ordered) else None
        following[level] = after if after is not None and _follows(level, after) else None
    return following


def _follows(level, after):
    stem, _ = _parts(level)
    after_stem, _ = _parts(after)
    if stem == after_stem:
        return True
    rank, after_rank = _STAGES.get(stem, _UNKNOWN), _STAGES.get(after_stem, _UNKNOWN)
    # Another stage follows only a known stage, and only a later one.
    return rank != _UNKNOWN and after_rank != _UNKNOWN and after_rank > rank


def _squash(text):
    return " ".join((text or "").lower().split())


def arm_of(class_group):
    """The part of the class's name after its level ("A" of "JSS 1A"), or None when the name does
    not start with the level."""
    name, level = _squash(class_group.name), _squash(class_group.level)
    if not level or not name.startswith(level):
        return None
    return name[len(level) :].strip()


GRADUATE = "graduate"


def default_mapping(class_groups):
    """{class group id: the id of the class its pupils move to, GRADUATE, or None (no default)}."""
    groups = list(class_groups)
    following = next_levels(group.level for group in groups)
    by_level = {}
    for group in groups:
        by_level.setdefault(group.level, []).append(group)
    mapping = {}
    for group in groups:
        after = following.get(group.level)
        if after is None:
            mapping[group.pk] = GRADUATE
            continue
        candidates = by_level[after]
        arm = arm_of(group)
        same_arm = [c for c in candidates if arm is not None and arm_of(c) == arm]
        if len(same_arm) == 1:
            mapping[group.pk] = same_arm[0].pk
        elif len(candidates) == 1:
            mapping[group.pk] = candidates[0].pk
        else:
            mapping[group.pk] = None
    return mapping
