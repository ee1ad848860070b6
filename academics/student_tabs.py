"""academics' tabs of a pupil's record (classpoint/record_tabs.py): attendance, for whoever may read
a pupil's attendance; results, for whoever works with report cards (which cards each may open is
the report cards' rule: a teacher who enters scores, their form classes')."""

from classpoint.record_tabs import RecordTab

from .results.cards import ENTER, MANAGE, PUBLISH

STUDENT_TABS = [
    RecordTab(
        key="attendance",
        label="Attendance",
        order=50,
        permission="academics.view_attendance",
        url_name="student-attendance",
    ),
    RecordTab(
        key="results", label="Results", order=60, permission=(MANAGE, PUBLISH, ENTER), url_name="student-results"
    ),
]
