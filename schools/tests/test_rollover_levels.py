"""Which class follows which: levels in their natural order and each class's default next class."""

from types import SimpleNamespace

import pytest

from schools.rollover_levels import GRADUATE, default_mapping, level_key, next_levels


def group(pk, name, level):
    return SimpleNamespace(pk=pk, name=name, level=level)


def test_levels_sort_by_stage_then_number():
    levels = ["SS 1", "JSS 10", "Primary 6", "JSS 2", "Nursery 2", "JSS 1", "KG 1"]
    assert sorted(levels, key=level_key) == ["Nursery 2", "KG 1", "Primary 6", "JSS 1", "JSS 2", "JSS 10", "SS 1"]


def test_each_level_is_followed_by_the_next_number_then_the_next_stage():
    following = next_levels(["JSS 1", "JSS 2", "JSS 3", "SS 1", "SS 2", "SS 3"])
    assert following == {
        "JSS 1": "JSS 2",
        "JSS 2": "JSS 3",
        "JSS 3": "SS 1",
        "SS 1": "SS 2",
        "SS 2": "SS 3",
        "SS 3": None,
    }


def test_primary_six_is_the_final_year_of_a_primary_school():
    assert next_levels([f"Primary {n}" for n in range(1, 7)])["Primary 6"] is None


def test_an_unknown_stage_is_followed_only_by_its_own_next_number():
    following = next_levels(["Form 1", "Form 2", "Lower Sixth"])
    assert following["Form 1"] == "Form 2"
    assert following["Form 2"] is None
    assert following["Lower Sixth"] is None


def test_a_class_goes_to_the_next_levels_class_with_the_same_arm():
    groups = [
        group(1, "JSS 1A", "JSS 1"),
        group(2, "JSS 1B", "JSS 1"),
        group(3, "JSS 2A", "JSS 2"),
        group(4, "JSS 2 B", "JSS 2"),
        group(5, "JSS 3 Gold", "JSS 3"),
    ]
    mapping = default_mapping(groups)
    assert mapping[1] == 3 and mapping[2] == 4
    # JSS 2's classes have no JSS 3A or 3B, but JSS 3 has one class: everyone goes there
    assert mapping[3] == 5 and mapping[4] == 5
    assert mapping[5] == GRADUATE


@pytest.mark.parametrize("name", ["Blue", "JSS 1C"])
def test_a_class_with_no_matching_arm_among_several_has_no_default(name):
    groups = [group(1, name, "JSS 1"), group(2, "JSS 2A", "JSS 2"), group(3, "JSS 2B", "JSS 2")]
    assert default_mapping(groups)[1] is None
