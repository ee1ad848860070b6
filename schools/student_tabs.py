"""schools' tabs of a pupil's record and of a guardian's page (classpoint/record_tabs.py)."""

from classpoint.record_tabs import RecordTab

STUDENT_TABS = [
    RecordTab(key="profile", label="Profile", order=10, permission="students.view", url_name="student-detail"),
    RecordTab(key="guardians", label="Guardians", order=20, permission="students.view", url_name="student-guardians"),
    RecordTab(key="enrolment", label="Enrolment", order=30, permission="students.view", url_name="student-enrolment"),
    RecordTab(key="access", label="Access log", order=90, permission="students.view", url_name="student-access-log"),
]

GUARDIAN_TABS = [
    RecordTab(key="details", label="Details", order=10, permission="students.view", url_name="guardian-detail"),
]
