"""Permission codes and the default roles every school gets on provisioning."""

PERMISSIONS = {
    "school.manage": "Manage school settings, staff, roles and domains",
    "students.view": "View students, guardians, classes and enrollments",
    "students.manage": "Create and update students, guardians and enrollments",
    "imports.run": "Import students from CSV",
    "registrar.manage_applications": "Move applications through admission",
    "fees.view": "View fees and invoices",
    "fees.manage": "Create fee items, schedules and invoices",
    "fees.approve_awards": "Approve scholarships and waivers",
    "payments.view": "View payments and receipts",
    "payments.review_proofs": "Approve or reject bank-transfer proofs",
    "payments.refund": "Refund payments",
    "messaging.send": "Send messages and announcements to guardians",
    "messaging.manage_templates": "Edit message templates",
    "academics.record_attendance": "Take attendance",
    "academics.view_attendance": "See each pupil's attendance (every read is logged)",
    "academics.manage_attendance": "Correct marks, see every register, run truancy interventions",
    "academics.view_attendance_summary": "See attendance figures without any pupil's name",
    "academics.enter_scores": "Enter assessment scores for the subjects one teaches",
    "academics.manage_results": "Set up subjects, assessments and grade scales; lock and amend scores",
    "academics.publish_results": "Publish results and report cards",
    "academics.manage_timetable": "Edit the timetable",
    "dashboard.view": "See the school dashboard and KPIs",
    "audit.view": "Read the school's audit log",
}

DEFAULT_ROLES = {
    "school_admin": ("School admin", sorted(PERMISSIONS)),
    "registrar": (
        "Registrar",
        [
            "students.view",
            "students.manage",
            "imports.run",
            "registrar.manage_applications",
            "messaging.send",
            "dashboard.view",
        ],
    ),
    "bursar": (
        "Bursar",
        [
            "students.view",
            "fees.view",
            "fees.manage",
            "payments.view",
            "payments.review_proofs",
            "payments.refund",
            "messaging.send",
            "dashboard.view",
        ],
    ),
    "teacher": ("Teacher", ["students.view", "academics.record_attendance", "academics.enter_scores"]),
    "attendance_officer": (
        "Attendance officer",
        [
            "students.view",
            "academics.record_attendance",
            "academics.view_attendance",
            "academics.manage_attendance",
            "academics.view_attendance_summary",
            "messaging.send",
            "dashboard.view",
        ],
    ),
    "viewer": ("Viewer", ["students.view", "fees.view", "payments.view", "dashboard.view"]),
}
