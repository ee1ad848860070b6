"""Money as people read it, for every layer: amounts are integers in minor units (kobo, cents) with
the school's ISO currency. Arithmetic, allocation and rounding rules stay with `fees.money`."""

SYMBOLS = {"NGN": "₦", "GHS": "GH₵", "KES": "KSh", "USD": "$", "GBP": "£", "EUR": "€"}


def currency_symbol(currency: str) -> str:
    """₦ for NGN; the code and a space for a currency without a symbol of ours ("XOF ")."""
    return SYMBOLS.get(currency, currency + " ")


def format_amount(amount_minor: int, *, grouped: bool = True) -> str:
    """4500000 -> "45,000.00" ("45000.00" not `grouped`): the number alone, as a form shows an amount
    back for editing in major units."""
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(int(amount_minor)), 100)
    return f"{sign}{major:,}.{minor:02d}" if grouped else f"{sign}{major}.{minor:02d}"


def format_money(amount_minor: int, currency: str, *, symbol: bool = True) -> str:
    """40050 NGN -> "₦400.50" ("-₦400.50" below zero). `symbol=False` writes the ISO code instead
    ("NGN 400.50"): for records read next to other currencies, or a font without the glyph."""
    sign = "-" if amount_minor < 0 else ""
    prefix = currency_symbol(currency) if symbol else f"{currency} "
    return f"{sign}{prefix}{format_amount(abs(int(amount_minor)))}"
