"""The morning checklist reads pgBackRest's own account of the backups (`pgbackrest info --output=json`)
when PGBACKREST_STANZA is set: no backup in the last BACKUP_MAX_AGE_HOURS, an unhealthy stanza or WAL
not being archived needs a person. The fake below prints what pgBackRest 2.45 prints (shape taken
from a real repository made by scripts/restore-drill)."""

import json
import stat
import sys
import time

import pytest

from classpoint.ops_checks import FAIL, OK, WARN, check_backups, run_checks
from classpoint.testing import in_a_fresh_process, last_line

HOUR = 3600


def info(*, status=0, message="ok", backups=(("full", 30 * HOUR), ("diff", 5 * HOUR)), archive_max=True):
    now = int(time.time())
    return [
        {
            "name": "classpoint",
            "status": {"code": status, "message": message, "lock": {"backup": {"held": False}}},
            "backup": [
                {
                    "label": f"label-{i}",
                    "type": kind,
                    "error": False,
                    "timestamp": {"start": now - age - 60, "stop": now - age},
                    "info": {"size": 43_000_000, "repository": {"delta": 4_500_000}},
                }
                for i, (kind, age) in enumerate(backups)
            ],
            "archive": [
                {
                    "id": "15-1",
                    "min": "000000010000000000000001",
                    "max": "000000010000000000000006" if archive_max else None,
                }
            ],
            "db": [{"id": 1, "system-id": 7, "version": "15"}],
        }
    ]


@pytest.fixture
def pgbackrest(tmp_path, settings):
    """A `pgbackrest` on the path the setting names, printing whatever the test puts in `answer`."""
    answer = tmp_path / "answer.json"
    seen = tmp_path / "argv"
    script = tmp_path / "pgbackrest"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        f"pathlib.Path({str(seen)!r}).write_text(' '.join(sys.argv[1:]))\n"
        f"body = pathlib.Path({str(answer)!r}).read_text()\n"
        "sys.stdout.write(body)\n"
        "sys.exit(0 if body.startswith('[') else 45)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    settings.PGBACKREST_COMMAND = str(script)
    settings.PGBACKREST_STANZA = "classpoint"
    settings.PGBACKREST_CONFIG = "/etc/pgbackrest/pgbackrest.conf"
    settings.BACKUP_MAX_AGE_HOURS = 26

    def answering(body):
        answer.write_text(body if isinstance(body, str) else json.dumps(body))
        return seen

    return answering


def only(results):
    (result,) = results if isinstance(results, list) else [results]
    return result


def test_without_a_stanza_the_check_is_skipped(settings):
    settings.PGBACKREST_STANZA = ""
    result = only(check_backups(None))
    assert result.status == OK and "not set" in result.detail


def test_a_recent_backup_and_archiving_wal_is_ok(pgbackrest):
    seen = pgbackrest(info())
    result = only(check_backups(None))
    assert result.status == OK, result
    assert "diff 5 h ago" in result.detail and "full 30 h ago" in result.detail
    assert "000000010000000000000006" in result.detail
    assert seen.read_text() == ("--stanza=classpoint --config=/etc/pgbackrest/pgbackrest.conf --output=json info")


def test_no_backup_for_more_than_a_day_warns(pgbackrest):
    pgbackrest(info(backups=(("full", 80 * HOUR), ("diff", 30 * HOUR))))
    result = only(check_backups(None))
    assert result.status == WARN
    assert "newest backup (diff) 30 h ago" in result.detail and "pgbackrest-diff" in result.action


def test_a_stanza_without_a_valid_backup_fails(pgbackrest):
    pgbackrest(info(status=2, message="no valid backups", backups=()))
    result = only(check_backups(None))
    assert result.status == FAIL and "no valid backups" in result.detail


def test_wal_not_archived_fails(pgbackrest):
    pgbackrest(info(archive_max=False))
    result = only(check_backups(None))
    assert result.status == FAIL and "WAL" in result.detail


def test_pgbackrest_failing_or_missing_is_a_failure_with_its_message(pgbackrest, settings):
    pgbackrest("ERROR: [045]: unable to open repository")
    result = only(check_backups(None))
    assert result.status == FAIL and "exit 45" in result.detail
    settings.PGBACKREST_COMMAND = "/nonexistent/pgbackrest"
    result = only(check_backups(None))
    assert result.status == FAIL and "not found" in result.detail


@pytest.mark.django_db
def test_the_checklist_runs_it(pgbackrest):
    pgbackrest(info(backups=(("full", 100 * HOUR),)))
    results = [r for r in run_checks() if r.name == "backups"]
    assert [r.status for r in results] == [WARN]


def test_the_operations_settings_come_from_the_environment():
    # ALERTMANAGER_URL was read by ops_check but never from the environment: a deployment could not
    # turn the alerts check on.
    read = (
        "import json, django; from django.conf import settings; django.setup(); print(json.dumps("
        "[settings.ALERTMANAGER_URL, settings.PGBACKREST_STANZA, settings.BACKUP_MAX_AGE_HOURS]))"
    )
    settings_env = {"ALERTMANAGER_URL": "http://alertmanager.int:9093", "PGBACKREST_STANZA": "classpoint"}
    run = in_a_fresh_process(read, {**settings_env, "BACKUP_MAX_AGE_HOURS": "30"})
    assert run.returncode == 0, run.stderr
    assert json.loads(last_line(run)) == ["http://alertmanager.int:9093", "classpoint", 30]
