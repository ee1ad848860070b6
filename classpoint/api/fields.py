"""Serializer fields and filters for API input, bounded by `classpoint.bounds`: a value past what
the database or `datetime` holds is a 400 naming the field, never a 500.

`test_api_input_bounds` walks the OpenAPI schema and every filter set and fails on an integer,
number or date input that is not bounded, so a new endpoint cannot forget.
"""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from classpoint import bounds


class IdField(serializers.IntegerField):
    """An object id in a body or query: a positive BIGINT."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", bounds.MAX_ID)
        super().__init__(**kwargs)


class AmountMinorField(serializers.IntegerField):
    """Money in minor units (kobo, cents): at least `min_value` (default 0), at most MAX_AMOUNT_MINOR."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", bounds.MAX_AMOUNT_MINOR)
        super().__init__(**kwargs)


class DaysField(serializers.IntegerField):
    """A number of days, 0..MAX_DAYS unless narrowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", bounds.MAX_DAYS)
        super().__init__(**kwargs)


class _DateRange:
    default_error_messages = {"out_of_range": bounds.OUT_OF_RANGE_DATE}

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            self.fail("out_of_range")
        if not bounds.date_in_range(parsed):
            self.fail("out_of_range")
        return parsed


class DateField(_DateRange, serializers.DateField):
    """A date within MIN_DATE..MAX_DATE."""


class DateTimeField(_DateRange, serializers.DateTimeField):
    """A date and time within MIN_DATE..MAX_DATE."""


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": bounds.MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """Filter by an object id: a whole number, 1..MAX_ID (NumberFilter alone takes "1.5" and "1e30")."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", bounds.MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.DATE)
class DateFilter(django_filters.DateFilter):
    field_class = bounds.DateFormField


@extend_schema_field(OpenApiTypes.DATETIME)
class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = bounds.IsoDateTimeFormField
