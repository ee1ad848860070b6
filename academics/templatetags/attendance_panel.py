"""`{% load attendance_panel %}`: attendance's part of a teacher's home page, drawn by academics.

An inclusion tag, so the home page (rendered by the registrar's dashboard view, a layer above) shows
today's registers in the same response without that view knowing attendance exists:

    {% registers_today %}       the member's registers today, how many are not taken, links to each
"""

from django import template

from ..attendance.selectors import sittings_on
from ..features import ATTENDANCE

register = template.Library()

RECORD = "academics.record_attendance"
MANAGE = "academics.manage_attendance"


@register.inclusion_tag("academics/attendance/register_panel.html", takes_context=True)
def registers_today(context):
    """Nothing for a member who takes no registers; else their registers of the school's today (the
    school's, for an attendance officer)."""
    membership, school = context.get("membership"), context.get("school")
    if membership is None or school is None or not membership.has_perm(RECORD):
        return {"show": False}
    if not context.get("features", {}).get(ATTENDANCE, True):  # switched off: its registers answer 404
        return {"show": False}
    today = school.local_today()
    if membership.has_perm(MANAGE):
        sittings = sittings_on(school=school, date=today)
    else:
        staff = school.staff.filter(user_id=membership.user_id).first()
        sittings = sittings_on(school=school, date=today, staff=staff) if staff is not None else []
    return {
        "show": True,
        "school": school,
        "today": today,
        "sittings": sittings,
        "not_taken": sum(1 for sitting in sittings if not sitting.taken),
    }
