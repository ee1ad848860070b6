"""The operator's morning checklist (`manage.py ops_check`): the kernel's checks and the runner.

A check is a callable taking a `Context` and returning one `CheckResult` or a list of them (a
per-school check answers one per school). Each app may add `<app>/ops_checks.py` with a CHECKS list
of such callables (found by `classpoint.discovery.app_modules`, as /api/health finds `<app>/health.py`),
so the kernel runs academics' SIS check and registrar's KPI check without naming either.

Readings that /api/health already takes (database, cache, outbox lag, live workers) come from
classpoint.health, so the two never disagree on how a thing is measured; only the thresholds differ:
a load balancer tolerates more lag than the operator reading this at 08:00 should.
"""

import json
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from . import health, replica_probe
from .discovery import app_modules

OK, WARN, FAIL = "ok", "warn", "fail"
SEVERITY = {OK: 0, WARN: 1, FAIL: 2}

# The oldest ready event waiting longer than this: the workers are behind (warn) or stopped (fail).
OUTBOX_LAG_WARN_SECONDS = 60
OUTBOX_LAG_FAIL_SECONDS = 600
# A schedule whose next run is this far in the past means no cluster runs the scheduler.
SCHEDULE_OVERDUE = timedelta(minutes=10)
TASK_FAILURES_WINDOW = timedelta(hours=24)
ALERTMANAGER_TIMEOUT_SECONDS = 3
PGBACKREST_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # ok / warn / fail
    detail: str  # one line: what was seen
    action: str = ""  # what to do about it (empty when ok)
    school: str = ""  # the school's slug, for a per-school check

    @property
    def label(self):
        return f"{self.name} [{self.school}]" if self.school else self.name


@dataclass(frozen=True)
class Context:
    now: datetime
    school: str | None = None  # a slug: per-school checks answer for this school only


def ok(name, detail, *, school=""):
    return CheckResult(name, OK, detail, "", school)


def warn(name, detail, action, *, school=""):
    return CheckResult(name, WARN, detail, action, school)


def fail(name, detail, action, *, school=""):
    return CheckResult(name, FAIL, detail, action, school)


def ago(moment, now):
    """'42 s', '17 min', '5 h', '3 d': how long before `now` that was, read at a glance."""
    seconds = max((now - moment).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def _one_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}"[:200] if text else type(exc).__name__


# --- the kernel's checks -------------------------------------------------------------------------


def check_databases(context):
    results = []
    for alias in connections:
        name = "database" if alias == "default" else f"database:{alias}"
        if alias == replica_probe.REPLICA:
            # Reads fall back to the primary without it: worth fixing this morning, not an outage.
            fit, detail = replica_probe.describe()
            action = "Check the replica is up and streaming from the primary (DATABASE_REPLICA_URL)."
            results.append(ok(name, detail) if fit else warn(name, detail, action))
            continue
        try:
            if alias == "default":
                health.check_database()
            else:
                with connections[alias].cursor() as cursor:
                    cursor.execute("SELECT 1")
            results.append(ok(name, f"reachable ({connections[alias].vendor})"))
        except Exception as exc:  # noqa: BLE001 - an unreachable database is the reading
            where = "DATABASE_URL" if alias == "default" else f"DATABASES[{alias!r}]"
            results.append(
                fail(
                    name,
                    f"unreachable: {_one_line(exc)}",
                    f"Check the server is up and {where} points at it (behind PgBouncer, check the pool too).",
                )
            )
    return results


def check_cache(context):
    status, _ = health.check_cache()
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    if status == "healthy":
        return ok("cache", f"set/get round trip works ({backend})")
    return fail("cache", f"set/get round trip failed ({backend})", "Check Redis is up and REDIS_URL points at it.")


def check_outbox(context):
    from .outbox import worker

    _, queue = health.check_task_queue()
    lag = queue["outbox_lag_seconds"]
    figures = worker.stats()
    results = []
    detail = f"oldest ready event waiting {lag:.0f} s; {figures['pending']} pending"
    drain = (
        "Check the task cluster is running (manage.py qcluster) or run manage.py outbox_worker; "
        "manage.py outbox_stats shows which types pile up."
    )
    if lag > OUTBOX_LAG_FAIL_SECONDS:
        results.append(fail("outbox lag", detail, drain))
    elif lag > OUTBOX_LAG_WARN_SECONDS:
        results.append(warn("outbox lag", detail, drain))
    else:
        results.append(ok("outbox lag", detail))
    if figures["stuck"]:
        results.append(
            warn(
                "outbox stuck claims",
                f"{figures['stuck']} events claimed over {settings.OUTBOX_STUCK_MINUTES} min ago (a worker died)",
                "Run manage.py outbox_reset_stuck (the schedule does it every 15 min; if it keeps "
                "happening, look for a worker being killed mid-batch).",
            )
        )
    # A paused type is an operator's decision, but one easily forgotten: its events wait unseen by the
    # lag above (health leaves them out) until someone resumes it.
    paused = figures.get("paused") or []
    if paused:
        shown = ", ".join(f"{p['event_type']} ({p.get('waiting', 0)} waiting)" for p in paused[:3])
        results.append(
            warn(
                "outbox paused types",
                f"{len(paused)} paused: {shown}{' ...' if len(paused) > 3 else ''}",
                "Once the handler is fixed, manage.py outbox_resume <type>; outbox_stats shows who paused it and why.",
            )
        )
    dead = figures["dead"]
    if dead:
        results.append(
            fail(
                "outbox dead events",
                f"{dead} events dead-lettered after {settings.OUTBOX_MAX_ATTEMPTS} attempts",
                "Read last_error in the admin (Outbox events, dead), fix the cause, then "
                "manage.py outbox_retry_dead [--event-type T].",
            )
        )
    else:
        results.append(ok("outbox dead events", "none"))
    return results


def check_workers(context):
    """Liveness comes from WorkerHeartbeat: every outbox drain (the cluster's every-minute schedule
    and each `outbox_worker` loop) beats. django-q2's own cluster stats sit in the cache, which a
    separate process cannot read with a per-process cache, so the heartbeat table is the one record
    every deployment shares; the django-q2 schedule's next runs tell whether a scheduler is alive."""
    from .models import WorkerHeartbeat

    _, queue = health.check_task_queue()
    live = queue["active_workers"]
    last = WorkerHeartbeat.objects.order_by("-last_seen").first()
    seen = f"last beat {ago(last.last_seen, context.now)} ago ({last.name})" if last else "no worker has ever beaten"
    if live:
        return ok("workers", f"{live} beating in the last {health.WORKER_STALE_SECONDS} s; {seen}")
    return fail(
        "workers",
        f"none beating in the last {health.WORKER_STALE_SECONDS} s; {seen}",
        "Start the task cluster (manage.py qcluster, one with Q_SCHEDULER=true) or manage.py outbox_worker; "
        "check its logs for a crash loop.",
    )


def check_scheduler(context):
    from django_q.models import Schedule

    overdue = list(
        Schedule.objects.exclude(repeats=0)
        .filter(next_run__lt=context.now - SCHEDULE_OVERDUE)
        .order_by("next_run")
        .values_list("name", "next_run")
    )
    if not overdue:
        return ok("scheduler", f"no schedule overdue by more than {SCHEDULE_OVERDUE.seconds // 60} min")
    name, next_run = overdue[0]
    return warn(
        "scheduler",
        f"{len(overdue)} schedules overdue; {name} by {ago(next_run, context.now)}",
        "Run exactly one cluster with Q_SCHEDULER=true (manage.py qcluster); the nightly jobs "
        "(KPIs, SIS sync, overdue scan) wait for it.",
    )


def check_task_failures(context):
    from django_q.models import Failure

    since = context.now - TASK_FAILURES_WINDOW
    failed = list(Failure.objects.filter(stopped__gte=since).values_list("func", flat=True)[:500])
    if not failed:
        return ok("task failures", "none in the last 24 h")
    top = max(set(failed), key=failed.count)
    return warn(
        "task failures",
        f"{len(failed)}{'+' if len(failed) == 500 else ''} failed tasks in 24 h; most: {top} ({failed.count(top)})",
        "Read the tracebacks in the admin (Task queue > Failed tasks) and rerun the matching manage.py command.",
    )


def check_alerts(context):
    base = settings.ALERTMANAGER_URL
    if not base:
        return ok("alerts", "ALERTMANAGER_URL not set: skipped")
    url = base.rstrip("/") + "/api/v2/alerts?active=true"
    try:
        with urllib.request.urlopen(url, timeout=ALERTMANAGER_TIMEOUT_SECONDS) as response:  # noqa: S310 - the operator's URL
            alerts = json.loads(response.read().decode())
    except (OSError, ValueError) as exc:  # URLError, timeouts and a body that is not JSON
        return warn(
            "alerts",
            f"Alertmanager unreachable at {base}: {type(exc).__name__}",
            "Check Alertmanager is up and ALERTMANAGER_URL is right; until then read alerts in Grafana.",
        )
    # Silenced or inhibited alerts come back "suppressed": someone already owns them.
    firing = [a for a in alerts if (a.get("status") or {}).get("state", "active") == "active"]
    if not firing:
        return ok("alerts", "none firing")
    names = sorted({(a.get("labels") or {}).get("alertname", "?") for a in firing})
    critical = any((a.get("labels") or {}).get("severity") == "critical" for a in firing)
    detail = f"{len(firing)} firing: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
    action = "Open Alertmanager, follow each alert's runbook link, silence only with an owner and an end time."
    return (fail if critical else warn)("alerts", detail, action)


def check_backups(context):
    """pgBackRest's own account of the repository (deploy/pgbackrest): a backup within
    BACKUP_MAX_AGE_HOURS, a healthy stanza, WAL being archived. Runs where pgbackrest can read the
    repository (the database host, or any host with the S3 repository configured)."""
    stanza = settings.PGBACKREST_STANZA
    if not stanza:
        return ok("backups", "PGBACKREST_STANZA not set: skipped")
    command = [settings.PGBACKREST_COMMAND or "pgbackrest", f"--stanza={stanza}"]
    command += [f"--config={settings.PGBACKREST_CONFIG}"] if settings.PGBACKREST_CONFIG else []
    try:
        run = subprocess.run(  # noqa: S603 - the operator's own command and stanza, no shell
            [*command, "--output=json", "info"], capture_output=True, text=True, timeout=PGBACKREST_TIMEOUT_SECONDS
        )
    except FileNotFoundError:
        return fail("backups", f"{command[0]} not found", "Install pgbackrest here or set PGBACKREST_COMMAND.")
    except subprocess.TimeoutExpired:
        return fail("backups", "pgbackrest info timed out", "Check the repository host or bucket is reachable.")
    said = (run.stderr or run.stdout).strip().splitlines()
    if run.returncode != 0:
        return fail(
            "backups",
            f"pgbackrest info failed (exit {run.returncode}): {said[0][:160] if said else ''}",
            "Run the same command on this host as the database user and read its message.",
        )
    found = next((entry for entry in json.loads(run.stdout) if entry.get("name") == stanza), None)
    status = (found or {}).get("status") or {"code": -1, "message": "not in the repository"}
    if status.get("code") != 0:
        return fail(
            "backups",
            f"stanza {stanza}: {status.get('message')}",
            f"Run pgbackrest --stanza={stanza} check on the database host (docs/operations.md#set-up-pgbackrest).",
        )
    now = context.now.timestamp() if context is not None else time.time()
    newest = {}
    for backup in found.get("backup") or []:
        stop = (backup.get("timestamp") or {}).get("stop") or 0
        newest[backup.get("type")] = max(stop, newest.get(backup.get("type"), 0))
    archived = [a.get("max") for a in found.get("archive") or [] if a.get("max")]
    if not newest or not archived:
        what = "no backup in the repository" if not newest else "no WAL archived: archive_command is failing"
        return fail(
            "backups", what, f"Run pgbackrest --stanza={stanza} check; read the PostgreSQL log for archive errors."
        )
    hours = {kind: round((now - stop) / 3600) for kind, stop in newest.items()}
    latest = min(hours, key=hours.get)
    if hours[latest] > settings.BACKUP_MAX_AGE_HOURS:
        return warn(
            "backups",
            f"newest backup ({latest}) {hours[latest]} h ago (limit {settings.BACKUP_MAX_AGE_HOURS} h)",
            "On the database host: systemctl list-timers 'pgbackrest-*', journalctl -u pgbackrest-diff; "
            "then run pgbackrest-diff.service by hand.",
        )
    ages = ", ".join(f"{kind} {hours[kind]} h ago" for kind in ("incr", "diff", "full") if kind in hours)
    return ok("backups", f"newest: {ages}; WAL archived up to {max(archived)}")


CHECKS = [
    check_databases,
    check_cache,
    check_outbox,
    check_workers,
    check_scheduler,
    check_task_failures,
    check_alerts,
    check_backups,
]


# --- the runner ----------------------------------------------------------------------------------


def all_checks():
    """The kernel's checks, then each app's in INSTALLED_APPS order."""
    found = list(CHECKS)
    for module in app_modules("ops_checks"):
        found += list(getattr(module, "CHECKS", []))
    return found


def _run_one(check, context):
    name = getattr(check, "__name__", repr(check)).removeprefix("check_").replace("_", " ")
    try:
        answer = check(context)
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
        return [
            fail(
                name,
                f"the check itself failed: {_one_line(exc)}",
                "Run manage.py ops_check --traceback to see where; a database error here usually "
                "means the database check above failed.",
            )
        ]
    return [answer] if isinstance(answer, CheckResult) else list(answer)


def run_checks(*, school=None, now=None, checks=None):
    """Every check's results, in order. `school` (a slug) limits the per-school checks."""
    context = Context(now=now or timezone.now(), school=school)
    results = []
    for check in checks if checks is not None else all_checks():
        results.extend(_run_one(check, context))
    return results


def exit_code(results):
    """0 when every check is ok, 1 when the worst is a warning, 2 when anything failed."""
    return max((SEVERITY[r.status] for r in results), default=0)


def as_dicts(results):
    return [asdict(r) for r in results]
