"""`{% load languages %}`: `{% language_switcher %}` on guardian pages (classpoint/i18n.py) offers the
page in each language it is translated into, as plain links, so it works without JavaScript;
`{% page_language %}` is the page's language for `<html lang>`."""

from django import template
from django.utils import translation

from classpoint import i18n

register = template.Library()


@register.inclusion_tag("partials/language_switcher.html", takes_context=True)
def language_switcher(context):
    request = context.get("request")
    return {"languages": i18n.switch_links(request) if request is not None else []}


@register.simple_tag(takes_context=True)
def page_language(context):
    """The guardian page's language, else the one active (the deployment's, on other pages)."""
    request = context.get("request")
    return (request is not None and i18n.current(request)) or translation.get_language() or i18n.FALLBACK
