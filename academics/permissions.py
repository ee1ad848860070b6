"""What the academics app guards: the timetable, attendance and results."""

PERMISSIONS = {
    "academics.record_attendance": "Take attendance",
    "academics.view_attendance": "See each pupil's attendance (every read is logged)",
    "academics.manage_attendance": "Correct marks, see every register, run truancy interventions",
    "academics.view_attendance_summary": "See attendance figures without any pupil's name",
    "academics.enter_scores": "Enter assessment scores for the subjects one teaches",
    "academics.manage_results": "Set up subjects, assessments and grade scales; lock and amend scores",
    "academics.publish_results": "Publish results and report cards",
    "academics.manage_timetable": "Edit the timetable",
}
