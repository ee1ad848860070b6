"""Reads of the SIS sync's state: one school's (the sync-status API) and the platform's (the health
check's `sis` entry)."""

from django.utils import timezone

from classpoint.scoping import unscoped

from ..models import SisConnection, SyncRun
from .schedule import next_run_at

SHOWN_ERRORS = 20


def sync_status(*, school, now=None):
    """The school's connection and runs as the API answers them; `configured` False without one."""
    connection = SisConnection.objects.for_school(school).select_related("last_run").first()
    if connection is None:
        nothing = ("adapter", "attendance_direction", "next_run_at", "certificate_expires_at", "token_expires_at")
        return {"configured": False, "enabled": False, "last_run": None, "last_dry_run": None} | dict.fromkeys(nothing)
    connection.school = school
    last = connection.last_run
    last_dry = SyncRun.objects.for_school(school).filter(dry_run=True).order_by("-started_at", "-id").first()
    return {
        "configured": True,
        "adapter": connection.adapter,
        "enabled": connection.enabled,
        "attendance_direction": connection.attendance_direction,
        "next_run_at": next_run_at(connection, now),
        "certificate_expires_at": connection.certificate_expires_at,
        "token_expires_at": connection.token_expires_at,
        "last_run": _run(last),
        "last_dry_run": _run(last_dry),
    }


def _run(run):
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "since": run.since,
        "counts": run.counts or {},
        "error_count": run.error_count,
        "errors": (run.errors or [])[:SHOWN_ERRORS],
        "message": run.message,
    }


def platform_state(now=None):
    """(state, figures) over every enabled connection: "not_configured" without one, "failing" when
    a connection's last run failed or its certificate or token has expired, else "reachable" (each
    last run reached its SIS; a connection not run yet counts as reachable until its first night)."""
    now = now or timezone.now()
    with unscoped(reason="the health check reads every school's SIS connection, no school named"):
        rows = list(
            SisConnection.objects.filter(enabled=True).values_list(
                "last_run__status", "certificate_expires_at", "token_expires_at"
            )
        )
    if not rows:
        return "not_configured", {"connections": 0}
    failing = sum(1 for status, *_ in rows if status == SyncRun.Status.FAILED)
    expired = sum(1 for _, cert, _token in rows if cert and cert <= now)
    never = sum(1 for status, *_ in rows if status is None)
    state = "failing" if failing or expired else "reachable"
    return state, {"connections": len(rows), "failing": failing, "certificate_expired": expired, "never_run": never}
