"""No double-booking, promised by PostgreSQL: exclusion constraints over (term, weekday, time range)
for each teacher, each room and each class group. SQLite has no exclusion constraints; there the
timetable services check before writing, inside SQLite's serialised (IMMEDIATE) transactions.

btree_gist lets a GiST index compare plain columns with "=" beside the range's "&&". Creating the
extension needs a role allowed to (the database owner on PostgreSQL 13+, as a trusted extension)."""

from django.db import migrations

# Minutes of the day as an integer range [start, end): a lesson ending at 09:00 and one starting at
# 09:00 do not overlap.
RANGE = "int4range((EXTRACT(EPOCH FROM start_time) / 60)::int, (EXTRACT(EPOCH FROM end_time) / 60)::int)"
CONSTRAINTS = {
    "slot_no_teacher_overlap": f"term_id WITH =, teacher_id WITH =, weekday WITH =, ({RANGE}) WITH &&) "
    "WHERE (teacher_id IS NOT NULL",
    "slot_no_room_overlap": f"school_id WITH =, term_id WITH =, room WITH =, weekday WITH =, ({RANGE}) WITH &&) "
    "WHERE (room <> ''",
    "slot_no_class_overlap": f"term_id WITH =, class_group_id WITH =, weekday WITH =, ({RANGE}) WITH &&",
}


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, body in CONSTRAINTS.items():
        sql = f"ALTER TABLE academics_scheduleslot ADD CONSTRAINT {name} EXCLUDE USING gist ({body})"
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE academics_scheduleslot DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("academics", "0002_initial")]
    operations = [migrations.RunPython(add, drop)]
