"""`{% load school_branding %}`: the school's own face on a page families see (the public
application form): `{% school_logo school %}` and `{% school_intro school %}` (schools/branding.py).
Each prints nothing when the school has set nothing."""

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import format_html
from django.utils.translation import gettext

from ..branding import logo_data_uri, profile_of

register = template.Library()


@register.simple_tag
def school_logo(school, height=72):
    """The logo as an inline image `height` pixels high, or nothing."""
    uri = logo_data_uri(profile_of(school)) if school is not None else ""
    if not uri:
        return ""
    alt = gettext("%(school)s logo") % {"school": school.name}
    return format_html('<img class="school-logo" src="{}" alt="{}" height="{}">', uri, alt, int(height))


@register.simple_tag
def school_intro(school):
    """The school's introduction to its public form, paragraphs kept, or nothing."""
    profile = profile_of(school) if school is not None else None
    intro = getattr(profile, "public_form_intro", "")
    if not intro:
        return ""
    return format_html('<div class="school-intro">{}</div>', linebreaks_filter(intro, autoescape=True))
