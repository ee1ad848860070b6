"""Migrations can be reversed one app at a time: rolling back an app's latest migration (the usual
way out of a bad deploy) unapplies that migration only, and no other app's table loses a row.

That holds as long as no app's migration depends on another app's latest one without needing it:
`registrar.0001_initial` once depended on the latest fees migration, so `migrate fees 0009`
unapplied it and dropped every registrar table. Cross-app dependencies point at the earliest
migration that provides what they reference.

The check runs on a database of its own with the demo loaded, in a child process whose default
database is that one (seed_demo and migrate then need no routing), so the pytest database is never
touched. Whatever the latest migrations are when it runs, they are the ones reversed.
"""

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]


def project_apps():
    """The apps whose migrations live in this repository, in dependency-friendly order."""
    from django.apps import apps

    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.parent == ROOT and (path / "migrations").is_dir():
            found.append(config.label)
    return found


def latest_and_previous(loader, app):
    """(latest migration, the target that unapplies only it) for `app`."""
    leaves = loader.graph.leaf_nodes(app)
    assert len(leaves) == 1, f"{app} has {len(leaves)} latest migrations ({leaves}); it needs a merge migration"
    leaf = leaves[0]
    parents = [p for p in loader.graph.node_map[leaf].parents if p.key[0] == app]
    return leaf, (parents[0].key[1] if parents else "zero")


def test_no_app_depends_on_another_apps_latest_migration():
    # given: every migration in the repository
    loader = MigrationLoader(None, ignore_no_migrations=True)
    # then: no other app's migration needs an app's latest one, so reversing it affects that app only
    problems = []
    for app in project_apps():
        leaf, _ = latest_and_previous(loader, app)
        for child in loader.graph.node_map[leaf].children:
            if child.key[0] != app:
                problems.append(f"{child.key[0]}.{child.key[1]} depends on {app}.{leaf[1]}, {app}'s latest")
    assert not problems, "\n".join(problems)


# --- The same, done for real on a database with the demo loaded --------------------------------


def _snapshot(connection, skip_app):
    from django.apps import apps
    from django.db.migrations.recorder import MigrationRecorder

    applied = sorted(f"{a}.{n}" for a, n in MigrationRecorder(connection).applied_migrations())
    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.app_label == skip_app or table not in existing or table in counts:
                continue
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - table names from the models
            counts[table] = cursor.fetchone()[0]
    return applied, counts


def reverse_each_latest_migration(students):
    """Run in the child process. Returns {app: [problems]}."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", "--students", str(students), stdout=io.StringIO())
    loader = MigrationLoader(connection)
    report = {}
    for app in project_apps():
        leaf, previous = latest_and_previous(loader, app)
        applied_before, rows_before = _snapshot(connection, app)
        # when: only this app is rolled back one step
        call_command("migrate", app, previous, verbosity=0, interactive=False)
        applied_after, rows_after = _snapshot(connection, app)
        problems = []
        unapplied = sorted(set(applied_before) - set(applied_after))
        if unapplied != [f"{app}.{leaf[1]}"]:
            problems.append(f"migrate {app} {previous} unapplied {unapplied}")
        problems += [
            f"migrate {app} {previous}: {table} went from {count} to {rows_after.get(table, 'no table')} rows"
            for table, count in rows_before.items()
            if rows_after.get(table) != count
        ]
        # and it comes back
        call_command("migrate", verbosity=0, interactive=False)
        if _snapshot(connection, app) != (applied_before, rows_before):
            problems.append(f"re-applying {app}.{leaf[1]} did not restore the other apps")
        report[app] = problems
    return report


@pytest.mark.postgres
def test_reversing_any_apps_latest_migration_leaves_every_other_app_alone():
    import psycopg

    # given: a database of its own (never the test database), created here and dropped afterwards
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_migrations_{uuid.uuid4().hex[:8]}"[:63]
    admin = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    user = f"{db.get('USER')}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@" if db.get("USER") else ""
    url = f"postgres://{user}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{name}"
    with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        # when: the child loads the demo and reverses, then re-applies, each app's latest migration
        code = (
            "import json, django; django.setup()\n"
            "from classpoint.tests.test_migrations import reverse_each_latest_migration\n"
            "print('REPORT ' + json.dumps(reverse_each_latest_migration(students=30)))\n"
        )
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "classpoint.settings_test"}
        env["MEDIA_ROOT"] = str(Path(settings.MEDIA_ROOT) / "migrations-demo")
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-4000:]
        line = next(line for line in result.stdout.splitlines() if line.startswith("REPORT "))
        report = json.loads(line[len("REPORT ") :])
    finally:
        with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    # then: each rollback touched its own app only, and re-applying restored everything
    assert set(report) == set(project_apps())
    assert {app: problems for app, problems in report.items() if problems} == {}
