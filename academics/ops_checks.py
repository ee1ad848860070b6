"""Academics' entries in `manage.py ops_check` (run by classpoint.ops_checks): the last SIS sync of
each school with an enabled connection, read from the run log (no call to any SIS, as in health.py).
Unlike /api/health, which counts without naming a school, this answers the operator school by school.
"""

import datetime

from classpoint.ops_checks import fail, ok, warn
from classpoint.scoping import unscoped

from .models import SisConnection, SyncRun
from .sis.schedule import STALE_RUN

NAME = "sis sync"
# The sync is nightly and retried on the following hours: a last run older than this means the
# school missed at least one whole night.
MISSED_NIGHT = datetime.timedelta(hours=36)
CERTIFICATE_WARN = datetime.timedelta(days=14)


def check_sis_sync(context):
    with unscoped(reason="the operator's checklist reads every school's SIS connection and its last run"):
        connections = SisConnection.objects.filter(enabled=True).select_related("school", "last_run")
        if context.school:
            connections = connections.filter(school__slug=context.school)
        connections = list(connections.order_by("school__slug"))
    if not connections:
        scope = f"at {context.school}" if context.school else "at any school"
        return ok(NAME, f"no enabled SIS connection {scope}")
    return [_one(connection, context.now) for connection in connections]


def _one(connection, now):
    slug, run = connection.school.slug, connection.last_run
    rerun = f"manage.py sis_sync --school {slug} --dry-run, then without --dry-run"
    expires = connection.certificate_expires_at
    if expires and expires <= now:
        return fail(
            NAME,
            f"certificate expired {expires:%Y-%m-%d}; every run fails until it is replaced",
            "Get the new certificate from the district, update the secret, set the new expiry on the connection.",
            school=slug,
        )
    if run is None:
        if now - connection.created_at > MISSED_NIGHT:
            return warn(NAME, "never run since the connection was made", f"Run {rerun}.", school=slug)
        return ok(NAME, "not run yet (the first run is tonight)", school=slug)
    when = f"{run.started_at:%Y-%m-%d %H:%M} UTC"
    if run.status == SyncRun.Status.FAILED:
        return fail(
            NAME,
            f"last run {when} failed: {(run.message or 'no message').splitlines()[0][:120]}",
            f"Read the run (admin: SIS sync runs); fix the credentials or URL, then {rerun}.",
            school=slug,
        )
    if run.status == SyncRun.Status.RUNNING and now - run.started_at > STALE_RUN:
        return warn(
            NAME,
            f"run started {when} still marked running",
            f"Its process died; check the cluster's logs, then {rerun}.",
            school=slug,
        )
    if now - run.started_at > MISSED_NIGHT:
        return warn(
            NAME,
            f"last run {when}, over {MISSED_NIGHT.days * 24 + MISSED_NIGHT.seconds // 3600} h ago",
            f"The nightly schedule is not reaching this school: check the scheduler check above, then {rerun}.",
            school=slug,
        )
    if run.error_count:
        return warn(
            NAME,
            f"last run {when} {run.status} with {run.error_count} record errors",
            f"Read the errors (manage.py sis_sync --school {slug} --dry-run prints them); fix the records in the "
            "SIS or in Classpoint.",
            school=slug,
        )
    if expires and expires - now < CERTIFICATE_WARN:
        return warn(
            NAME,
            f"last run {when} ok; certificate expires {expires:%Y-%m-%d}",
            "Ask the district for the new certificate now.",
            school=slug,
        )
    return ok(NAME, f"last run {when} {run.status}, no errors", school=slug)


CHECKS = [check_sis_sync]
