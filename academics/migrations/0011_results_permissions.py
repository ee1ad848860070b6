"""Results' set-up permission for schools that exist already (new schools get it from schools.roles at
provisioning): school admins hold every permission. Roles a school edited keep their edits."""

from django.db import migrations

NEW_CODES = ["academics.manage_results"]


def grant(apps, schema_editor):
    Role = apps.get_model("schools", "Role")
    for role in Role.objects.filter(key="school_admin"):
        missing = [code for code in NEW_CODES if code not in (role.permissions or [])]
        if missing:
            role.permissions = sorted([*(role.permissions or []), *missing])
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("schools", "Role")
    for role in Role.objects.filter(key="school_admin"):
        role.permissions = [code for code in role.permissions or [] if code not in NEW_CODES]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0010_results"),
        ("schools", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
