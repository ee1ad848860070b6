"""Money arithmetic for fees: amounts are integers in minor units, rounded half up, never floats.
How an amount is shown lives in the kernel (classpoint.money)."""

from decimal import ROUND_HALF_UP, Decimal


def to_minor(amount):
    """A typed amount in major units (Decimal "400.50") as integer minor units (40050)."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_minor, percent):
    """`percent`% of an amount, rounded half up to the minor unit (never a float)."""
    return int((Decimal(amount_minor) * Decimal(str(percent)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
