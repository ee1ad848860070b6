"""Attendance's permissions for schools that exist already (new schools get them from schools.roles
at provisioning): school admins hold every permission, and each school gets the attendance officer
role. Roles a school edited keep their edits; only missing codes and roles are added."""

from django.db import migrations

NEW_CODES = ["academics.manage_attendance", "academics.view_attendance", "academics.view_attendance_summary"]
OFFICER = (
    "attendance_officer",
    "Attendance officer",
    [
        "academics.manage_attendance",
        "academics.record_attendance",
        "academics.view_attendance",
        "academics.view_attendance_summary",
        "dashboard.view",
        "messaging.send",
        "students.view",
    ],
)


def grant(apps, schema_editor):
    Role = apps.get_model("schools", "Role")
    School = apps.get_model("schools", "School")
    for role in Role.objects.filter(key="school_admin"):
        missing = [code for code in NEW_CODES if code not in (role.permissions or [])]
        if missing:
            role.permissions = sorted([*(role.permissions or []), *missing])
            role.save(update_fields=["permissions"])
    key, name, permissions = OFFICER
    for school in School.objects.all():
        Role.objects.get_or_create(school=school, key=key, defaults={"name": name, "permissions": permissions})


def revoke(apps, schema_editor):
    Role = apps.get_model("schools", "Role")
    Role.objects.filter(key=OFFICER[0]).delete()
    for role in Role.objects.filter(key="school_admin"):
        role.permissions = [code for code in role.permissions or [] if code not in NEW_CODES]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0005_attendance"),
        ("schools", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
