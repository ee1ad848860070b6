"""messaging's tabs (classpoint/record_tabs.py): the messages sent about a pupil, on their record,
and those sent to a guardian, on the guardian's page."""

from classpoint.record_tabs import RecordTab

STUDENT_TABS = [
    RecordTab(key="messages", label="Messages", order=70, permission="messaging.send", url_name="student-messages")
]

GUARDIAN_TABS = [
    RecordTab(key="messages", label="Messages", order=20, permission="messaging.send", url_name="guardian-messages")
]
