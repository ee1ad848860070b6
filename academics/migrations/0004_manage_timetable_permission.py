"""School admins hold every permission: give existing ones the new `academics.manage_timetable` (new
schools get it from schools.roles at provisioning)."""

from django.db import migrations

CODE = "academics.manage_timetable"


def grant(apps, schema_editor):
    Role = apps.get_model("schools", "Role")
    for role in Role.objects.filter(key="school_admin"):
        if CODE not in (role.permissions or []):
            role.permissions = sorted([*(role.permissions or []), CODE])
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("schools", "Role")
    for role in Role.objects.filter(key="school_admin"):
        if CODE in (role.permissions or []):
            role.permissions = [code for code in role.permissions if code != CODE]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0003_no_double_booking"),
        ("schools", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
