"""What the fees app guards."""

PERMISSIONS = {
    "fees.view": "View fees and invoices",
    "fees.manage": "Create fee items, schedules and invoices",
    "fees.approve_awards": "Approve scholarships and waivers",
}
