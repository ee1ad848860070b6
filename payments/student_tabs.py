"""The Fees tab of a pupil's record, and the family account on a guardian's page
(classpoint/record_tabs.py). payments sits above fees, so its tab reads fees' invoices and credit
beside its own payments."""

from classpoint.record_tabs import RecordTab

STUDENT_TABS = [RecordTab(key="fees", label="Fees", order=40, permission="fees.view", url_name="student-fees")]

# fees' own page for a family (fees/views.py): a link from the guardian's page, not a tab page.
GUARDIAN_TABS = [
    RecordTab(key="family-account", label="Family account", order=30, permission="fees.view", url_name="family-account")
]
