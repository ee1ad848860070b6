"""The nightly SIS sync: an hourly job that runs each enabled connection once a night, at its school's
own SIS_SYNC_LOCAL_HOUR (01:00 by default, before the 02:00 aggregates read the day).

A school whose night went by without a successful run (the scheduler was down, the SIS was failing)
is tried again on the following hours of its day, at most MAX_ATTEMPTS runs a day, so a district
server that is down all night is not hammered every hour until the evening.
"""

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from classpoint.scoping import for_school, unscoped
from schools.models import School

from ..models import SisConnection, SyncRun

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
STALE_RUN = datetime.timedelta(hours=2)  # a "running" run older than this died with its process


def sync_hour():
    return getattr(settings, "SIS_SYNC_LOCAL_HOUR", 1)


def night_start(school, now):
    """The moment the school's current sync night began (today's sync hour, school time), or None
    before it."""
    local = now.astimezone(school.tzinfo)
    start = datetime.datetime.combine(local.date(), datetime.time(sync_hour()), tzinfo=school.tzinfo)
    return start if local >= start else None


def next_run_at(connection, now=None):
    """When the schedule next runs the connection: its school's next sync hour; None if disabled."""
    if not connection.enabled:
        return None
    now = now or timezone.now()
    school = connection.school
    local = now.astimezone(school.tzinfo)
    start = datetime.datetime.combine(local.date(), datetime.time(sync_hour()), tzinfo=school.tzinfo)
    if start <= local:
        start = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1), datetime.time(sync_hour()), tzinfo=school.tzinfo
        )
    return start


def _due(connection, now):
    begun = night_start(connection.school, now)
    if begun is None:
        return False
    runs = list(
        SyncRun.objects.for_school(connection.school)
        .filter(dry_run=False, started_at__gte=begun)
        .values_list("status", "started_at")
    )
    if any(status == SyncRun.Status.SUCCEEDED for status, _ in runs):
        return False
    if any(status == SyncRun.Status.RUNNING and now - started < STALE_RUN for status, started in runs):
        return False
    return len(runs) < MAX_ATTEMPTS


def sis_sync_due(now=None):
    """The hourly schedule: sync each enabled connection whose school's night it is. One school's
    failure is logged and does not stop the others. Returns {"synced": [...], "failed": [...]}."""
    from .sync import sis_sync

    now = now or timezone.now()
    with unscoped(reason="the nightly SIS sync serves every active school with a connection"):
        connections = list(
            SisConnection.objects.filter(enabled=True, school__status=School.Status.ACTIVE)
            .select_related("school")
            .order_by("school__slug")
        )
    synced, failed = [], []
    for connection in connections:
        school = connection.school
        try:
            with for_school(school):
                if not _due(connection, now):
                    continue
                run = sis_sync(school=school)
            (synced if run.status == SyncRun.Status.SUCCEEDED else failed).append(school.slug)
        except Exception:  # noqa: BLE001 - one school's failure must not leave the others unsynced
            log.exception("SIS sync failed for %s", school.slug)
            failed.append(school.slug)
    return {"synced": synced, "failed": failed}
