"""Behind PgBouncer in transaction mode nothing may rely on a server connection outliving its
transaction: settings turn off named cursors and prepared statements for every PostgreSQL alias.
Read from a fresh interpreter, as a web node reads them at start."""

import json

import pytest

from classpoint.testing import in_a_fresh_process, last_line

READ = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({a: [d.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "d.get('OPTIONS', {}).get('prepare_threshold', 'default')] for a, d in settings.DATABASES.items()}))"
)


def _settings_with(**env):
    return in_a_fresh_process(READ, {"DATABASE_POOLER": None, "DATABASE_REPLICA_URL": None, **env})


POSTGRES = "postgres://app@127.0.0.1:1/classpoint"


def test_through_pgbouncer_no_named_cursor_or_prepared_statement_is_used():
    run = _settings_with(DATABASE_URL=POSTGRES, DATABASE_POOLER="pgbouncer")
    assert run.returncode == 0, run.stderr
    assert json.loads(last_line(run))["default"] == [True, None]


def test_straight_to_postgresql_keeps_the_defaults():
    run = _settings_with(DATABASE_URL=POSTGRES)
    assert run.returncode == 0, run.stderr
    assert json.loads(last_line(run))["default"] == [False, "default"]


@pytest.mark.parametrize("pooler", ["pgpool", "PgBouncer "])
def test_an_unknown_pooler_is_refused_at_start(pooler):
    run = _settings_with(DATABASE_URL=POSTGRES, DATABASE_POOLER=pooler)
    assert run.returncode != 0
    assert "DATABASE_POOLER must be empty or pgbouncer" in run.stderr
