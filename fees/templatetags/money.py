from django import template

from fees.money import format_money

register = template.Library()


@register.simple_tag
def money(amount_minor, currency):
    return format_money(amount_minor or 0, currency)
