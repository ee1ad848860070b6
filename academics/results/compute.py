"""The arithmetic of results, stated once and used by the grid, the report card, the broadsheet and
publishing alike. Pure functions over plain values: no database.

- A subject's total is the sum, over the term's components, of score / maximum × weight (weights
  sum to 100, so a total is out of 100). "ABS" counts as 0; a blank cell counts as 0 too but makes
  the total incomplete (publishing refuses incomplete totals unless forced).
- Totals are kept exact (fractions) and shown rounded half-up at one decimal (74.95 → 75.0).
- A grade comes from the shown total, so the letter always matches the number printed beside it.
- Positions come from the exact totals (a subject) and the exact averages (the class): pupils with
  equal figures share a position and the next one skips (1, 2, 2, 4).
- A class average of a subject is the mean of the exact totals of the pupils who take it, shown
  rounded like a total. A pupil's overall total is the sum of their exact subject totals; their
  average is that divided by the number of subjects they take.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ONE_DECIMAL = Decimal("0.1")
ABSENT = "ABS"


def shown(value):
    """An exact figure as printed: a Decimal rounded half-up at one decimal (None stays None)."""
    if value is None:
        return None
    exact = value if isinstance(value, Fraction) else Fraction(value)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Component:
    id: int
    name: str
    max_score: Decimal
    weight: Decimal


@dataclass(frozen=True)
class Band:
    letter: str
    min_score: Decimal
    max_score: Decimal
    remark: str = ""
    points: Decimal = Decimal(0)


@dataclass(frozen=True)
class Cell:
    """What a grid cell holds: a number, absent, or nothing yet (value None and not absent)."""

    value: Decimal | None = None
    absent: bool = False

    @property
    def is_blank(self):
        return self.value is None and not self.absent

    def __str__(self):
        return ABSENT if self.absent else ("" if self.value is None else f"{self.value.normalize():f}")


BLANK = Cell()


@dataclass(frozen=True)
class SubjectTotal:
    exact: Fraction
    complete: bool  # no blank cell
    missing: tuple[int, ...] = ()  # ids of the components left blank

    @property
    def total(self):
        return shown(self.exact)


@dataclass(frozen=True)
class Marking:
    """A term's components as integer arithmetic: a score of v (in hundredths of a mark) in component
    i is worth v × points[i] / denominator of the subject total, exactly. Worked out once per class,
    so a total is a sum of integer products and one fraction, not a fraction per cell."""

    points: tuple[tuple[int, int], ...]  # (component id, integer points per hundredth of a mark)
    denominator: int


def marking(components: Sequence[Component]) -> Marking:
    factors = [(c.id, Fraction(c.weight) / Fraction(c.max_score)) for c in components]
    common = math.lcm(*(f.denominator for _, f in factors)) if factors else 1
    return Marking(
        points=tuple((cid, f.numerator * (common // f.denominator)) for cid, f in factors),
        denominator=common * 100,
    )


def hundredths(value: Decimal) -> int:
    """A score as a whole number of hundredths (scores have at most two decimals)."""
    return int(value.scaleb(2))


def subject_total(components: Sequence[Component], cells: Mapping[int, Cell], *, per_mark=None) -> SubjectTotal:
    """A subject's total from its cells; `per_mark` (marking(components)) saves working the
    components out again for every pupil."""
    per_mark = per_mark or marking(components)
    numerator = 0
    missing = []
    for component_id, points in per_mark.points:
        cell = cells.get(component_id, BLANK)
        if cell.is_blank:
            missing.append(component_id)
        elif not cell.absent:
            numerator += hundredths(cell.value) * points
    return SubjectTotal(exact=Fraction(numerator, per_mark.denominator), complete=not missing, missing=tuple(missing))


def grade_for(total: Decimal | None, bands: Sequence[Band]) -> Band | None:
    """The band a shown total falls in (bands as validated: contiguous, no overlap), or None."""
    if total is None:
        return None
    for band in bands:
        if band.min_score <= total <= band.max_score:
            return band
    return None


def rank(figures: Mapping[object, Fraction]) -> dict[object, int]:
    """Competition ranking, highest first: equal figures share a position, the next skips."""
    ordered = sorted(figures.items(), key=lambda item: item[1], reverse=True)
    positions, previous, position = {}, None, 0
    for index, (key, figure) in enumerate(ordered, start=1):
        if figure != previous:
            position, previous = index, figure
        positions[key] = position
    return positions


def ordinal(position: int | None) -> str:
    if position is None:
        return ""
    if 10 <= position % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(position % 10, "th")
    return f"{position}{suffix}"


def mean(values: Iterable[Fraction]) -> Fraction | None:
    values = list(values)
    return sum(values, Fraction(0)) / len(values) if values else None


@dataclass
class PupilSubject:
    subject_id: int
    cells: dict[int, Cell]
    result: SubjectTotal
    grade: Band | None = None
    position: int | None = None


@dataclass
class PupilTerm:
    student_id: int
    subjects: dict[int, PupilSubject] = field(default_factory=dict)
    position: int | None = None

    @property
    def exact_total(self):
        return sum((s.result.exact for s in self.subjects.values()), Fraction(0))

    @property
    def exact_average(self):
        return mean(s.result.exact for s in self.subjects.values())

    @property
    def total(self):
        return shown(self.exact_total) if self.subjects else None

    @property
    def average(self):
        return shown(self.exact_average)

    @property
    def complete(self):
        return all(s.result.complete for s in self.subjects.values())


@dataclass
class ClassTerm:
    """A class group's term worked out: each pupil's subjects with totals, grades and positions, each
    subject's class average, and the class positions."""

    pupils: dict[int, PupilTerm]
    subject_averages: dict[int, Fraction]

    def subject_average(self, subject_id):
        return shown(self.subject_averages.get(subject_id))


def class_term(
    *,
    components: Sequence[Component],
    bands: Sequence[Band],
    student_ids: Sequence[int],
    taken: Mapping[int, Mapping[int, Mapping[int, Cell]]],
) -> ClassTerm:
    """Work out a class's term. `taken[student_id][subject_id]` holds the cells of each subject the
    pupil takes (a core subject with nothing entered yet is given with no cells: all blank)."""
    pupils = {sid: PupilTerm(student_id=sid) for sid in student_ids}
    by_subject: dict[int, dict[int, Fraction]] = {}
    per_mark = marking(components)
    for sid in student_ids:
        for subject_id, cells in (taken.get(sid) or {}).items():
            result = subject_total(components, cells, per_mark=per_mark)
            pupils[sid].subjects[subject_id] = PupilSubject(
                subject_id=subject_id, cells=dict(cells), result=result, grade=grade_for(result.total, bands)
            )
            by_subject.setdefault(subject_id, {})[sid] = result.exact
    subject_averages = {}
    for subject_id, totals in by_subject.items():
        subject_averages[subject_id] = mean(totals.values())
        for sid, position in rank(totals).items():
            pupils[sid].subjects[subject_id].position = position
    averages = {sid: pupil.exact_average for sid, pupil in pupils.items() if pupil.subjects}
    for sid, position in rank(averages).items():
        pupils[sid].position = position
    return ClassTerm(pupils=pupils, subject_averages=subject_averages)


def parse_cell(text: str, *, max_score: Decimal) -> Cell:
    """A cell as typed or pasted: blank, "ABS" (any case), or a number from 0 to `max_score` with at
    most two decimals. Raises ValueError with words a teacher understands."""
    text = (text or "").strip()
    if not text:
        return BLANK
    if text.upper() == ABSENT:
        return Cell(absent=True)
    try:
        value = Decimal(text.replace(",", "."))
    except ArithmeticError:
        raise ValueError(
            f"“{text[:12]}” is not a score: type a number from 0 to {max_score:g}, ABS, or leave it blank."
        ) from None
    if not value.is_finite():
        raise ValueError(f"“{text[:12]}” is not a score: type a number from 0 to {max_score:g}.")
    if value < 0 or value > max_score:
        raise ValueError(f"{text[:12]} is out of range: scores here go from 0 to {max_score:g}.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text[:12]} has too many decimals: use at most two.")
    return Cell(value=value.quantize(Decimal("0.01")))


def bands_problems(bands: Sequence[Band]) -> list[str]:
    """What is wrong with a grade scale: bands must cover 0.0 to 100.0 at one decimal with no gap
    and no overlap, and letters must differ. Empty list: the scale is sound."""
    problems = []
    if not bands:
        return ["A grade scale needs at least one band."]
    letters = [band.letter.strip().upper() for band in bands]
    if len(set(letters)) != len(letters):
        problems.append("Two bands share a letter.")
    ordered = sorted(bands, key=lambda band: band.min_score)
    for band in ordered:
        if band.min_score > band.max_score:
            problems.append(f"{band.letter}: the lowest score {band.min_score} is above the highest {band.max_score}.")
        for bound in (band.min_score, band.max_score):
            if bound != bound.quantize(ONE_DECIMAL):
                problems.append(f"{band.letter}: bounds are totals at one decimal ({bound} is not).")
    if ordered[0].min_score != 0:
        problems.append(f"No band covers totals from 0 to {ordered[0].min_score - ONE_DECIMAL}.")
    if ordered[-1].max_score != 100:
        top = max(band.max_score for band in ordered)
        if top < 100:
            problems.append(f"No band covers totals from {top + ONE_DECIMAL} to 100.")
        else:
            problems.append(f"A band goes above 100 ({top}).")
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        expected = lower.max_score + ONE_DECIMAL
        if upper.min_score > expected:
            problems.append(f"Gap: no band covers {expected} to {upper.min_score - ONE_DECIMAL}.")
        elif upper.min_score < expected:
            problems.append(f"Overlap: {lower.letter} and {upper.letter} both cover {upper.min_score}.")
    return problems


def weights_problems(weights: Sequence[Decimal]) -> list[str]:
    if not weights:
        return ["A term needs at least one assessment component."]
    total = sum(weights, Decimal(0))
    if total != 100:
        return [f"The weights add up to {total.normalize():f}; they must add up to 100."]
    return []
