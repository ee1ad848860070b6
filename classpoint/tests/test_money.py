"""Money as every layer shows it."""

import pytest

from classpoint.money import currency_symbol, format_amount, format_money


@pytest.mark.parametrize(
    "amount_minor, currency, expected",
    [
        (40050, "NGN", "₦400.50"),
        (0, "NGN", "₦0.00"),
        (5, "NGN", "₦0.05"),
        (-40050, "NGN", "-₦400.50"),
        (123456789, "GHS", "GH₵1,234,567.89"),
        (100, "XOF", "XOF 1.00"),  # no symbol of ours: the code
    ],
)
def test_format_money(amount_minor, currency, expected):
    assert format_money(amount_minor, currency) == expected


def test_format_money_with_the_code_instead_of_the_symbol():
    assert format_money(4_500_000, "NGN", symbol=False) == "NGN 45,000.00"
    assert format_money(-1, "USD", symbol=False) == "-USD 0.01"


def test_currency_symbol():
    assert currency_symbol("KES") == "KSh" and currency_symbol("ZAR") == "ZAR "


@pytest.mark.parametrize(
    "amount_minor, grouped, expected",
    [
        (4_500_000, True, "45,000.00"),
        (4_500_000, False, "45000.00"),
        (5, True, "0.05"),
        (0, False, "0.00"),
        (-123_456_789, True, "-1,234,567.89"),
    ],
)
def test_format_amount_is_the_number_alone(amount_minor, grouped, expected):
    assert format_amount(amount_minor, grouped=grouped) == expected
