"""The registrar board's search ("contains" over names, reference, phones and emails) uses a trigram
GIN index on PostgreSQL; SQLite scans, which is fine at the embedded quick start's sizes."""

from django.db import migrations


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS application_search_trgm ON registrar_application "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS application_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("registrar", "0001_initial")]
    operations = [migrations.RunPython(add, drop)]
