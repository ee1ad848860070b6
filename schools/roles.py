"""The default roles every school gets on provisioning. The permission codes themselves are declared
by the apps that check them (`<app>/permissions.py`, collected by `classpoint.permissions`)."""

from classpoint.permissions import all_permissions

# Every code in the catalogue, whatever the apps declare when the role is seeded.
ALL = "*"

DEFAULT_ROLES = {
    "school_admin": ("School admin", ALL),
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

# Members with these default roles pass a TOTP check before any staff page (they administer the
# school or handle money); a school's own role says so itself (`Role.requires_two_factor`).
TWO_FACTOR_ROLES = frozenset({"school_admin", "bursar"})


def default_role_permissions(key):
    """The codes the default role `key` is seeded with (school admin: the whole catalogue)."""
    codes = DEFAULT_ROLES[key][1]
    return sorted(all_permissions()) if codes == ALL else list(codes)
