"""The arithmetic of results (academics/results/compute.py), stated once: rounding, grades, positions,
parsing what a teacher types, and the checks on weights and grade scales."""

from decimal import Decimal as D
from fractions import Fraction

import pytest

from academics.results import compute
from academics.results.compute import BLANK, Band, Cell, Component
from academics.results.policy import PRESETS

USUAL = [
    Component(1, "CA1", D(10), D(10)),
    Component(2, "CA2", D(10), D(10)),
    Component(3, "Project", D(20), D(20)),
    Component(4, "Exam", D(60), D(60)),
]
WAEC = [Band(*band) for band in PRESETS["waec"][1]]
US = [Band(*band) for band in PRESETS["us"][1]]


def cells(*values):
    made = {}
    for component, value in zip(USUAL, values, strict=True):
        if value == "ABS":
            made[component.id] = Cell(absent=True)
        elif value is not None:
            made[component.id] = Cell(value=D(str(value)))
    return made


def test_total_rounds_half_up_at_one_decimal():
    # 7.5 + 0 (absent) + 19 + 48.45 = 74.95: half-up makes it 75.0, an A1, not 74.9 (a B2).
    result = compute.subject_total(USUAL, cells(7.5, "ABS", 19, "48.45"))
    assert result.exact == Fraction("74.95")
    assert result.total == D("75.0")
    assert compute.grade_for(result.total, WAEC).letter == "A1"
    assert result.complete


def test_scores_scale_by_their_maximum_and_weight():
    # Out of 20 weighted 10%: 15/20 -> 7.5 points; an exam out of 100 weighted 60%: 50/100 -> 30.
    components = [Component(1, "Test", D(20), D(40)), Component(2, "Exam", D(100), D(60))]
    result = compute.subject_total(components, {1: Cell(value=D(15)), 2: Cell(value=D(50))})
    assert result.exact == Fraction(30) + Fraction(30)
    assert result.total == D("60.0")


def test_blank_cells_count_as_zero_but_make_the_total_incomplete():
    result = compute.subject_total(USUAL, cells(8, None, 15, None))
    assert result.total == D("23.0")
    assert not result.complete
    assert result.missing == (2, 4)


def test_exact_thirds_do_not_drift():
    # 1/3 of a 30% component twice and 2/3 once add up to exactly 40: no float or decimal residue.
    components = [Component(i, f"C{i}", D(3), D(30)) for i in (1, 2, 3)] + [Component(4, "C4", D(1), D(10))]
    result = compute.subject_total(
        components, {1: Cell(value=D(1)), 2: Cell(value=D(1)), 3: Cell(value=D(2)), 4: Cell(value=D(0))}
    )
    assert result.exact == Fraction(40)


def test_ties_share_a_position_and_the_next_skips():
    positions = compute.rank({"a": Fraction(70), "b": Fraction(81), "c": Fraction(70), "d": Fraction(55)})
    assert positions == {"b": 1, "a": 2, "c": 2, "d": 4}


def test_positions_come_from_exact_totals_not_rounded_ones():
    # 74.96 and 74.95 both print as 75.0, but the first pupil is ahead.
    positions = compute.rank({"first": Fraction("74.96"), "second": Fraction("74.95")})
    assert positions == {"first": 1, "second": 2}
    assert compute.shown(Fraction("74.96")) == compute.shown(Fraction("74.95")) == D("75.0")


def test_class_term_works_out_subjects_averages_and_positions():
    worked = compute.class_term(
        components=USUAL,
        bands=WAEC,
        student_ids=[1, 2, 3],
        taken={
            1: {10: cells(10, 10, 20, 60), 11: cells(5, 5, 10, 30)},  # 100 and 50: average 75
            2: {10: cells(8, 8, 16, 48), 11: cells(8, 8, 16, 48)},  # 80 and 80: average 80
            3: {10: cells(5, 5, 10, 30)},  # one subject, 50
        },
    )
    one, two, three = (worked.pupils[i] for i in (1, 2, 3))
    assert (one.total, one.average, one.position) == (D("150.0"), D("75.0"), 2)
    assert (two.total, two.average, two.position) == (D("160.0"), D("80.0"), 1)
    assert (three.average, three.position) == (D("50.0"), 3)
    assert one.subjects[10].position == 1 and two.subjects[10].position == 2 and three.subjects[10].position == 3
    assert worked.subject_average(10) == D("76.7")  # (100 + 80 + 50) / 3 = 76.666...
    assert worked.subject_average(11) == D("65.0")
    assert one.subjects[11].grade.letter == "C6"


@pytest.mark.parametrize(
    "text, expected",
    [("", BLANK), ("  ", BLANK), ("abs", Cell(absent=True)), ("ABS", Cell(absent=True)), ("7", Cell(D("7.00")))],
)
def test_parse_cell_reads_blank_absent_and_numbers(text, expected):
    assert compute.parse_cell(text, max_score=D(10)) == expected


def test_parse_cell_reads_a_decimal_comma():
    assert compute.parse_cell("7,5", max_score=D(10)).value == D("7.5")


@pytest.mark.parametrize(
    "text, words",
    [
        ("11", "out of range"),
        ("-1", "out of range"),
        ("seven", "not a score"),
        ("nan", "not a score"),
        ("7.255", "too many decimals"),
        ("1e400", "out of range"),
    ],
)
def test_parse_cell_refuses_what_is_not_a_score(text, words):
    with pytest.raises(ValueError, match=words):
        compute.parse_cell(text, max_score=D(10))


def test_both_preset_scales_are_sound():
    assert compute.bands_problems(WAEC) == []
    assert compute.bands_problems(US) == []


def test_a_scale_with_a_gap_is_refused():
    bands = [Band("A", D("70.0"), D("100.0")), Band("B", D("0.0"), D("64.9"))]
    assert compute.bands_problems(bands) == ["Gap: no band covers 65.0 to 69.9."]


def test_a_scale_with_an_overlap_is_refused():
    bands = [Band("A", D("70.0"), D("100.0")), Band("B", D("0.0"), D("72.0"))]
    assert compute.bands_problems(bands) == ["Overlap: B and A both cover 70.0."]


def test_a_scale_must_cover_zero_to_a_hundred():
    problems = compute.bands_problems([Band("A", D("10.0"), D("90.0"))])
    assert "No band covers totals from 0 to 9.9." in problems
    assert "No band covers totals from 90.1 to 100." in problems


def test_weights_must_sum_to_a_hundred():
    assert compute.weights_problems([D(10), D(10), D(20), D(60)]) == []
    assert compute.weights_problems([D(10), D(10), D(20), D(50)]) == [
        "The weights add up to 90; they must add up to 100."
    ]


def test_ordinals():
    assert [compute.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]
