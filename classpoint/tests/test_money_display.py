"""Money in the reader's language and the school's chosen form: "12,500.00" in English and
"12.500,00" in Spanish; "₦12,500.00" or "NGN 12,500.00" as the school of the current scope says."""

import pytest
from django.utils import translation

from classpoint.money import current_display, format_amount, format_money, separators
from classpoint.scoping import for_school
from schools.models import SchoolProfile


@pytest.mark.parametrize(
    "language, expected",
    [("en", "12,500.00"), ("en-gb", "12,500.00"), ("es", "12.500,00"), ("yo", "12,500.00"), ("de", "12,500.00")],
)
def test_amounts_are_written_the_way_the_readers_language_writes_them(language, expected):
    with translation.override(language):
        assert format_amount(1_250_000) == expected


def test_spanish_readers_see_the_symbol_before_a_spanish_number_and_negatives_keep_their_sign():
    with translation.override("es"):
        assert format_money(123_456_789, "NGN") == "₦1.234.567,89"
        assert format_money(-40_050, "NGN") == "-₦400,50"
        assert separators() == (".", ",")


def test_an_amount_shown_back_for_editing_is_the_same_in_every_language():
    with translation.override("es"):
        assert format_amount(1_250_000, grouped=False) == "12500.00"


@pytest.mark.django_db
def test_the_school_in_scope_decides_symbol_or_code_and_other_schools_keep_their_own(school, other_school):
    SchoolProfile.objects.filter(school=school).update(currency_display="code")
    with for_school(school.pk):  # an outbox handler's scope: the school by id
        assert format_money(1_250_000, "NGN") == "NGN 12,500.00"
    with for_school(other_school):
        assert format_money(1_250_000, "NGN") == "₦12,500.00"
    # Outside one school's scope (a sweep, a test body) the symbol is used.
    assert current_display() == "symbol" and format_money(1_250_000, "NGN") == "₦12,500.00"


@pytest.mark.django_db
def test_symbol_false_writes_the_code_whatever_the_school_chose(school):
    with for_school(school):
        assert format_money(500, "NGN", symbol=False) == "NGN 5.00"


@pytest.mark.django_db
def test_the_schools_choice_is_read_once_per_scope(school, django_assert_num_queries):
    SchoolProfile.objects.filter(school=school).update(currency_display="code")
    with for_school(school.pk), django_assert_num_queries(1):
        amounts = [format_money(n, "NGN") for n in range(50)]
    assert amounts[1] == "NGN 0.01"
