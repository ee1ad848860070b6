"""What the schools app guards: the school's own settings and people, students, imports."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "school.manage": _("Manage school settings, staff, roles and API tokens"),
    "students.view": _("View students, guardians, classes and enrollments"),
    "students.manage": _("Create and update students, guardians and enrollments"),
    "imports.run": _("Import students from CSV"),
}
