"""`{% load money %}`: `{% money amount_minor currency %}` shows an amount as people read it
(see classpoint.money)."""

from django import template

from classpoint.money import format_money

register = template.Library()


@register.simple_tag
def money(amount_minor, currency):
    """`{% money invoice.balance_minor invoice.currency %}` -> "₦400.50"; nothing owed shows as zero."""
    return format_money(amount_minor or 0, currency)
