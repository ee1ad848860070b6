"""`{% load attendance_links %}`: academics' links on pages of the apps below it.

schools sits below academics and never names its URLs; the pupil page draws the link to the pupil's
attendance through this tag, which shows it only to whoever may read it.

    {% student_attendance_link student %}
"""

from django import template

from ..features import ATTENDANCE

register = template.Library()


@register.inclusion_tag("academics/attendance/officer_student_link.html", takes_context=True)
def student_attendance_link(context, student):
    membership = context.get("membership")
    return {
        "school": context["school"],
        "student": student,
        # The features context processor's switches: no link into a switched-off module.
        "show": membership is not None
        and membership.has_perm("academics.view_attendance")
        and bool(context.get("features", {}).get(ATTENDANCE, True)),
    }
