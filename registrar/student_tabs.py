"""The Documents tab of a pupil's record (classpoint/record_tabs.py): birth certificates, reports and
photos sent with the pupil's application. A child's papers: for those who manage pupils' records."""

from classpoint.record_tabs import RecordTab

STUDENT_TABS = [
    RecordTab(key="documents", label="Documents", order=80, permission="students.manage", url_name="student-documents")
]
