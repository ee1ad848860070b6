"""The one place for money arithmetic and display. Amounts are integers in minor units."""

SYMBOLS = {"NGN": "₦", "GHS": "GH₵", "KES": "KSh", "USD": "$", "GBP": "£", "EUR": "€"}


def format_money(amount_minor, currency):
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(int(amount_minor)), 100)
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{major:,}.{minor:02d}"


def to_minor(amount):
    """A typed amount in major units (Decimal "400.50") as integer minor units (40050)."""
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_minor, percent):
    """`percent`% of an amount, rounded half up to the minor unit (never a float)."""
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(amount_minor) * Decimal(str(percent)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
