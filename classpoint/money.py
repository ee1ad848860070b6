"""Money as people read it, for every layer: amounts are integers in minor units (kobo, cents) with
the school's ISO currency. Arithmetic, allocation and rounding rules stay with `fees.money`.

Two things decide how an amount looks, and neither is the caller's to pass:

- the reader's language (Django's active language): "12,500.00" in English, "12.500,00" in Spanish;
- the school's choice of symbol or code (`currency_display` on its profile): "₦12,500.00" or
  "NGN 12,500.00". The school is the one the current scope is bound to (a workspace or API request,
  a public page reached by a school's link, an outbox handler), read once per scope.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils import translation
from django_scopes import get_scope

SYMBOLS = {"NGN": "₦", "GHS": "GH₵", "KES": "KSh", "USD": "$", "GBP": "£", "EUR": "€"}
SYMBOL, CODE = "symbol", "code"
# (thousands, decimal) separators by language; a language not listed reads numbers as English does.
SEPARATORS = {"en": (",", "."), "es": (".", ","), "yo": (",", ".")}
_MEMO_KEY = "_classpoint_money_display"


def currency_symbol(currency: str) -> str:
    """₦ for NGN; the code and a space for a currency without a symbol of ours ("XOF ")."""
    return SYMBOLS.get(currency, currency + " ")


def separators(language=None) -> tuple[str, str]:
    """(thousands, decimal) for `language` (default: the active one)."""
    code = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    return SEPARATORS.get(code) or SEPARATORS.get(code.split("-")[0]) or SEPARATORS["en"]


def format_amount(amount_minor: int, *, grouped: bool = True) -> str:
    """4500000 -> "45,000.00" in English, "45.000,00" in Spanish: the number alone, in the reader's
    language. Not `grouped` -> "45000.00" in every language: how a form shows an amount back for
    editing, which its parser reads the same whoever typed it."""
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(int(amount_minor)), 100)
    if not grouped:
        return f"{sign}{major}.{minor:02d}"
    thousands, decimal = separators()
    return f"{sign}{major:,}".replace(",", thousands) + f"{decimal}{minor:02d}"


def format_money(amount_minor: int, currency: str, *, symbol: bool = True) -> str:
    """40050 NGN -> "₦400.50" ("-₦400.50" below zero), or "NGN 400.50" where the school prints codes.
    `symbol=False` always writes the ISO code: for records read next to other currencies, or a font
    without the glyph."""
    sign = "-" if amount_minor < 0 else ""
    prefix = currency_symbol(currency) if symbol and current_display() == SYMBOL else f"{currency} "
    return f"{sign}{prefix}{format_amount(abs(int(amount_minor)))}"


# --- The school's choice ---------------------------------------------------------------------


def display_of(school) -> str:
    """The school's `currency_display` ("symbol" or "code"); "symbol" when it has no profile. A
    school object keeps its profile once read (the tenancy selects it with the membership)."""
    if school is None:
        return SYMBOL
    if hasattr(school, "pk"):
        try:
            profile = school.profile
        except ObjectDoesNotExist:  # a school without a profile prints symbols
            return SYMBOL
        return getattr(profile, "currency_display", SYMBOL) or SYMBOL
    # An id (an outbox handler's scope): the school model is named in settings, as the kernel names it.
    model = apps.get_model(settings.CLASSPOINT_SCHOOL_MODEL)
    value = model._base_manager.filter(pk=school).values_list("profile__currency_display", flat=True).first()
    return value or SYMBOL


def current_display() -> str:
    """The display of the school the current scope is bound to, read once per scope (kept in the
    scope itself, so it ends with the request or the handler); "symbol" outside one school."""
    scope = get_scope()
    school = scope.get("school")
    if school is None or isinstance(school, (list, tuple, set)):
        return SYMBOL
    school_id = getattr(school, "pk", school)
    memo = scope.get(_MEMO_KEY)
    if memo is not None and memo[0] == school_id:
        return memo[1]
    display = display_of(school)
    scope[_MEMO_KEY] = (school_id, display)
    return display
