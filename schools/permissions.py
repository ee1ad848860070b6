"""What the schools app guards: the school's own settings and people, students, imports."""

PERMISSIONS = {
    "school.manage": "Manage school settings, staff, roles and API tokens",
    "students.view": "View students, guardians, classes and enrollments",
    "students.manage": "Create and update students, guardians and enrollments",
    "imports.run": "Import students from CSV",
}
