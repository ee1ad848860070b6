"""Words for the codes we store: audit actions (`invoice.payment_applied`) and the event types a
message request names as its reason. Pages and exports that people read show these labels; the
code stays in the data, the API and beside the label where someone may filter by it.

Most codes read well once their dots and underscores become spaces; the map below names only
those that would not (jargon, abbreviations, or words that would mislead)."""

AUDIT_ACTIONS = {
    "api_token.created": "API token created",
    "enrollment.moved": "Moved to another class",
    "student.readmitted": "Pupil re-admitted",
    "student.primary_guardian_set": "Primary contact changed",
    "student.document_viewed": "Pupil's document opened",
    "rollover.completed": "School rolled into the next session",
    "staff.invite_accepted": "Staff invitation accepted",
    "application.document_viewed": "Application document opened",
    "collections.reminders_requested": "Payment reminders requested",
    "invoice.discounts_recalculated": "Invoice discounts recalculated",
    "invoice.instalment_plan_set": "Instalment plan set",
    "invoice_batch.requested": "Bulk invoicing started",
    "invoice_batch.finished": "Bulk invoicing finished",
    "invoices.class_group_backfilled": "Invoice classes filled in",
    "invoices.overdue_scan": "Overdue invoices checked",
    "message_templates.seeded": "Default message templates added",
    "payment_intent.created": "Pay link created",
    "payment_intent.failed": "Pay link refused by the gateway",
    "payment_proof.approved": "Transfer proof approved",
    "payment_proof.submitted": "Transfer proof sent",
    "payment_proof.rejected": "Transfer proof rejected",
    "receipt.pdf_rendered": "Receipt PDF made",
    "registrar.admission_pattern_set": "Admission number pattern set",
    "registrar.document_requirements_set": "Required documents set",
    "schedule_slot.created": "Timetable slot added",
    "schedule_slot.updated": "Timetable slot changed",
    "schedule_slot.deleted": "Timetable slot removed",
    # Reasons given with a message request (event types).
    "selfreg.submitted": "Application received",
    "selfreg.needs_info": "Application needs information",
    "selfreg.approved": "Application approved",
    "selfreg.converted": "Pupil enrolled",
}

# Words kept in capitals when a code is turned into words.
_ACRONYMS = {"api": "API", "csv": "CSV", "kpi": "KPI", "pdf": "PDF", "pos": "POS", "sms": "SMS", "sis": "SIS"}


def code_label(code):
    """`invoice.payment_applied` -> "Invoice payment applied"; `PAYMENT_RECEIPT` -> "Payment receipt"."""
    words = [word.lower() for word in str(code or "").replace(".", " ").replace("_", " ").split()]
    words = [_ACRONYMS.get(word, word) for word in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def action_label(code):
    """What an audit action (or a message request's reason) means, in words."""
    return AUDIT_ACTIONS.get(code) or code_label(code)
