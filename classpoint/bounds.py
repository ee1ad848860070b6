"""How big a number or how far a date any input may be, once for the whole product.

A value the database or `datetime` cannot hold (an id past BIGINT, an amount whose sum overflows,
"0001-01-01" shifted into UTC, today minus a billion days) must be a field error at the edge, not
an OverflowError deep in a query. Serializers, filters and forms take their bounds from here; the
API's fields and filters that apply them are in `classpoint.api.fields`.
"""

import datetime
import re

from django import forms
from django_filters.fields import IsoDateTimeField

MAX_BIGINT = 2**63 - 1
# Every primary key is a BigAutoField.
MAX_ID = MAX_BIGINT
# Twelve digits of major units and two of minor, as the workspace's amount boxes accept: beyond any
# school fee (a typo, not a price), and sums of many such amounts still fit a BIGINT.
MAX_AMOUNT_MINOR = 10**14 - 1
# A span of days people could mean (overdue by, paid within): a century.
MAX_DAYS = 36_600
# Dates people could mean, with room either side so that shifting by a time zone or a century of
# days never leaves what `datetime` can hold.
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2199, 12, 31)

OUT_OF_RANGE_DATE = f"Enter a date between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."

_ID_TEXT = re.compile(r"[0-9]{1,19}")


def parse_id(text):
    """The id a query string or form value names ("42"), or None when it names none: empty,
    not ASCII digits (`"²".isdigit()` is true, `int("²")` raises), or past any id."""
    if not isinstance(text, str) or not _ID_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def search_text(text, max_length=100):
    """A free-text query value ("?q=") fit for a query: at most `max_length` characters, without the
    NUL characters no browser sends and PostgreSQL refuses in text."""
    return (text if isinstance(text, str) else "").replace("\x00", "")[:max_length]


def date_in_range(value):
    """True when `value` (a date, or a datetime judged by its date) is within MIN_DATE..MAX_DATE."""
    day = value.date() if isinstance(value, datetime.datetime) else value
    return MIN_DATE <= day <= MAX_DATE


class _DateRangeMixin:
    default_error_messages = {"out_of_range": OUT_OF_RANGE_DATE}

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:  # a time zone pushed the value past what datetime holds
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None
        if parsed is not None and not date_in_range(parsed):
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return parsed


class DateFormField(_DateRangeMixin, forms.DateField):
    """A form date within MIN_DATE..MAX_DATE."""


class DateTimeFormField(_DateRangeMixin, forms.DateTimeField):
    """A form date and time within MIN_DATE..MAX_DATE."""


class IsoDateTimeFormField(_DateRangeMixin, IsoDateTimeField):
    """django-filter's ISO 8601 field, within MIN_DATE..MAX_DATE."""


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows picked by id: a value that is no id is "not one of the choices" before any query
    (SQLite cannot even hold an id past BIGINT in `pk IN (...)`)."""

    def _check_values(self, value):
        for pk in value:
            if parse_id(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


def id_form_field(**kwargs):
    """A form field for an object id."""
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
