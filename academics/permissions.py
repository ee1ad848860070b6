"""What the academics app guards: the timetable, attendance and results."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "academics.record_attendance": _("Take attendance"),
    "academics.view_attendance": _("See each pupil's attendance (every read is logged)"),
    "academics.manage_attendance": _("Correct marks, see every register, run truancy interventions"),
    "academics.view_attendance_summary": _("See attendance figures without any pupil's name"),
    "academics.enter_scores": _("Enter assessment scores for the subjects one teaches"),
    "academics.manage_results": _("Set up subjects, assessments and grade scales; lock and amend scores"),
    "academics.publish_results": _("Publish results and report cards"),
    "academics.manage_timetable": _("Edit the timetable"),
}
