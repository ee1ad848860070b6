"""sis_sync: one school's pupils, guardians, class groups and current enrollments from its SIS, and
its attendance one way or the other, logged as a SyncRun.

A run reads everything it needs from the SIS first, with no transaction open (a district server can
take minutes), then writes it all in one transaction under a lock on the school's connection (two
runs of one school write one after the other). So a SIS that fails half-way through the reading, or
an error half-way through the writing, leaves nothing half-written: the run is logged failed with
its reason and the next run starts from the top. Records a service refuses one by one (a bad phone,
a full class) do not fail the run: each is counted and kept in the run's errors. A dry run does the
same writing and rolls it back, so its counts are what a real run would do; only its log is kept.
Attendance is pushed after the commit, again outside any transaction.
"""

import datetime
import logging
import time

from django.db import transaction
from django.utils import timezone

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import SisConnection, SyncRun
from . import adapter_for
from . import metrics as _metrics  # noqa: F401  (registers the sync counter with Prometheus)
from .attendance import marks_to_push, pull_attendance, push_attendance, push_cutoff
from .base import Roster, SisError, SisUnsupported
from .classes import sync_class_groups, sync_enrollments
from .context import SyncContext
from .links import Links
from .people import sync_guardians, sync_students
from .tally import Tally

log = logging.getLogger(__name__)
Direction = SisConnection.Direction
ATTENDANCE_WINDOW_DAYS = 7  # without --since, the days of attendance pulled (re-read: a late correction arrives)


def connection_of(school):
    connection = SisConnection.objects.for_school(school).first()
    if connection is not None:
        connection.school = school
    return connection


def sis_sync(*, school, since=None, dry_run=False):
    """Run the school's SIS sync; returns its SyncRun (status succeeded, failed or dry_run).
    AcademicsError when the school has no SIS connection."""
    connection = connection_of(school)
    if connection is None:
        raise AcademicsError(
            "This school has no SIS connection.",
            code=AcademicsErrorCode.SIS_NOT_CONFIGURED,
            fields={"sis": ["Add the school's SIS connection (adapter, base URL, credentials) first."]},
        )
    run = SyncRun.objects.create(school=school, adapter=connection.adapter, dry_run=dry_run, since=since)
    started = time.monotonic()
    tally = Tally(SyncRun.MAX_ERRORS)
    adapter, committed = None, False
    try:
        adapter = adapter_for(connection)
        roster = fetch(adapter, connection, since=since, tally=tally)
        with transaction.atomic():
            SisConnection.objects.for_school(school).select_for_update().filter(pk=connection.pk).first()
            ctx = write(school=school, adapter=connection.adapter, roster=roster, tally=tally)
            if dry_run:
                transaction.set_rollback(True)
        committed = not dry_run
        if connection.attendance_direction == Direction.PUSH:
            _push(adapter, connection, ctx.links, tally, since=since, dry_run=dry_run)
    except SisError as exc:
        failed = str(exc)
    except Exception as exc:  # noqa: BLE001 - logged with its trace; the run must not stay "running"
        log.exception("SIS sync of %s failed", school.slug)
        failed = f"Unexpected error ({type(exc).__name__}): {exc}"
    else:
        failed = None
    finally:
        if adapter is not None:
            adapter.http.session.close()
    _finish(run, connection, adapter, tally, started, failed=failed, committed=committed)
    return run


def fetch(adapter, connection, *, since, tally):
    """Everything the run writes, read from the SIS. Raises SisError if any of it cannot be read."""
    adapter.ping()
    adapter.school_info()
    roster = Roster(
        students=adapter.students(since=since),
        contacts=adapter.contacts(since=since),
        class_groups=adapter.class_groups(since=since),
        enrollments=adapter.enrollments(since=since),
        complete=not (since and adapter.delta_roster),
    )
    if connection.attendance_direction == Direction.PULL:
        today = connection.school.local_today()
        start = since or today - datetime.timedelta(days=ATTENDANCE_WINDOW_DAYS)
        try:
            roster.marks = adapter.attendance(start, today)
            roster.absence_codes = adapter.absence_codes()
        except SisUnsupported as exc:
            tally.fail("attendance", "", str(exc))
    return roster


def write(*, school, adapter, roster, tally):
    """The write half of a run, inside the caller's transaction."""
    ctx = SyncContext(school=school, adapter=adapter, links=Links(school=school, adapter=adapter), tally=tally)
    ctx.term = school.current_term()
    sync_students(ctx, roster.students)
    sync_guardians(ctx, roster.contacts, complete=roster.complete)
    sync_class_groups(ctx, roster.class_groups, roster.enrollments)
    sync_enrollments(ctx, roster.enrollments, complete=roster.complete)
    pull_attendance(ctx, roster.marks, roster.absence_codes)
    return ctx


def _push(adapter, connection, links, tally, *, since, dry_run):
    last = (
        SyncRun.objects.for_school(connection.school)
        .filter(status=SyncRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    cutoff = push_cutoff(school=connection.school, since=since, last_success=last)
    marks = marks_to_push(school=connection.school, links=links, since=cutoff)
    try:
        push_attendance(adapter, marks, tally, dry_run=dry_run)
    except SisUnsupported as exc:
        tally.fail("attendance_push", "", str(exc))


def _finish(run, connection, adapter, tally, started, *, failed, committed):
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.errors, run.error_count = tally.errors, tally.error_count
    # Counts of writing that was rolled back (a run failing before its commit) would mislead.
    run.counts = tally.as_dict() if failed is None or committed else {}
    if failed is not None:
        run.status, run.message = SyncRun.Status.FAILED, failed[:2000]
    else:
        run.status = SyncRun.Status.DRY_RUN if run.dry_run else SyncRun.Status.SUCCEEDED
    run.save()
    if run.dry_run:
        return  # a dry run writes its log and nothing else
    connection.last_run = run
    expires = adapter.credentials_expire_at if adapter is not None else None
    connection.token_expires_at = expires or connection.token_expires_at
    connection.save(update_fields=["last_run", "token_expires_at", "updated_at"])
    log.info("SIS sync of school %s: %s in %s ms", run.school_id, run.status, run.duration_ms)
