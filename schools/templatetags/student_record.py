"""`{% load student_record %}`: the header and tab bar of a pupil's record and of a guardian's page,
drawn by templates/schools/record/base.html and guardian_base.html for every app's tab.

    {% student_record_header %}   reads `student`, `tab` and (if the view has it) `place`
    {% guardian_record_header %}  reads `guardian` and `tab`
"""

from django import template

from classpoint import record_tabs
from classpoint.flags import request_features

from .. import selectors

register = template.Library()


def _features(context):
    request = context.get("request")
    return request_features(request) if request is not None else None


@register.inclusion_tag("schools/record/header.html", takes_context=True)
def student_record_header(context):
    student, school = context["student"], context["school"]
    # A view that read the pupil's place already passes it (None included: in no class).
    place = context["place"] if "place" in context else selectors.student_current_place(student=student)
    tabs = record_tabs.student_tabs(membership=context.get("membership"), features=_features(context))
    return {
        "school": school,
        "student": student,
        "place": place,
        "tabs": record_tabs.links(tabs, slug=school.slug, object_id=student.pk, current=context.get("tab")),
    }


@register.inclusion_tag("schools/record/guardian_header.html", takes_context=True)
def guardian_record_header(context):
    guardian, school = context["guardian"], context["school"]
    tabs = record_tabs.guardian_tabs(membership=context.get("membership"), features=_features(context))
    return {
        "school": school,
        "guardian": guardian,
        "tabs": record_tabs.links(tabs, slug=school.slug, object_id=guardian.pk, current=context.get("tab")),
    }
