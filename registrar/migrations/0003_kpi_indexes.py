"""Indexes the KPI aggregation and the dashboard's live "today" figures read.

The registrar's own index (status moves by school and time) is declared on ApplicationEvent. The
others are on tables of fees, payments and the kernel, which know nothing of KPIs: they are created
here, by name, so the aggregation of a day (or of two years for a backfill) and the dashboard's
today never scan a school's whole history. On PostgreSQL they are built CONCURRENTLY (the tables may
be large and busy), hence a non-atomic migration.
"""

from django.db import migrations, models

# (name, table, columns, predicate)
FOREIGN_INDEXES = [
    # Invoices issued on a day (invoiced, and the outstanding balance's opening figure).
    ("kpi_invoice_issue_idx", "fees_invoice", "school_id, issue_date", "issue_date IS NOT NULL"),
    # Money applied to invoices by time (the outstanding balance at the end of each day).
    ("kpi_allocation_day_idx", "fees_allocation", "school_id, created_at", ""),
    # Payments confirmed in a day (a transfer proof may be confirmed long after it was created).
    ("kpi_tx_confirmed_idx", "payments_paymenttransaction", "school_id, confirmed_at", "confirmed_at IS NOT NULL"),
    # The dashboard's action rail counts a school's dead-lettered events.
    ("kpi_outbox_dead_idx", "classpoint_outboxevent", "school_id", "dead_at IS NOT NULL"),
]


def add(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, table, columns, predicate in FOREIGN_INDEXES:
        where = f" WHERE {predicate}" if predicate else ""
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {table} ({columns}){where}")


def drop(apps, schema_editor):
    for name, *_ in FOREIGN_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registrar", "0002_search_trigram"),
        ("fees", "0002_allocation"),
        ("payments", "0001_initial"),
        ("classpoint", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="applicationevent",
            index=models.Index(
                condition=models.Q(("kind", "status")), fields=["school", "at"], name="application_event_kpi_idx"
            ),
        ),
        migrations.RunPython(add, drop),
    ]
