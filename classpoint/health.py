"""GET /api/health: is this node able to serve? No auth, no secrets, no personal data.

The kernel's checks are below; each app may add `<app>/health.py` with a CHECKS dict (name -> a
function returning (status, details)), so the kernel never imports a domain app by name (as
classpoint.schedules reads `<app>/schedules.py`).
"""

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .discovery import app_modules
from .maintenance import read_state as read_maintenance
from .replica_probe import check_replica
from .replica_probe import configured as replica_configured

# Outbox lag beyond these makes the queue degraded / unhealthy.
OUTBOX_LAG_DEGRADED_SECONDS = 120
OUTBOX_LAG_UNHEALTHY_SECONDS = 900
# Workers beat on every drain; the cluster's schedule drains every minute, so a beat older than
# this means nothing is draining the outbox.
WORKER_STALE_SECONDS = 150


def _timed(check):
    started = time.perf_counter()
    try:
        status, detail = check()
    except Exception as exc:  # noqa: BLE001 - a failing dependency is a reading, not a crash
        status, detail = "unhealthy", {"error": type(exc).__name__}
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 2), **detail}


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "healthy", {"vendor": connection.vendor}


def check_cache():
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    # Degraded, not unhealthy: pages are served without the cache (classpoint/cache.py), so a
    # balancer must not take every node out because Redis is down.
    return ("healthy" if ok else "degraded"), {}


def check_task_queue():
    from .models import OutboxEvent, WorkerHeartbeat
    from .outbox.pause import paused_queryset, paused_types

    # Events of a paused type (outbox_pause) wait on purpose: they are no lag of the workers', and
    # must not make a load balancer take healthy nodes out.
    oldest = (
        OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True, available_at__lte=timezone.now())
        .exclude(event_type__in=paused_queryset())
        .order_by("available_at")
        .values_list("available_at", flat=True)
        .first()
    )
    lag = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    workers = WorkerHeartbeat.objects.filter(
        last_seen__gte=timezone.now() - timedelta(seconds=WORKER_STALE_SECONDS)
    ).count()
    status = "healthy"
    if lag > OUTBOX_LAG_UNHEALTHY_SECONDS:
        status = "unhealthy"
    elif lag > OUTBOX_LAG_DEGRADED_SECONDS or not workers:
        status = "degraded"
    return status, {
        "outbox_lag_seconds": round(lag, 3),
        "active_workers": workers,
        "paused_event_types": paused_types(),
    }


def check_storage():
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            ok = handle.read() == b"ok"
    finally:
        default_storage.delete(name)
    return ("healthy" if ok else "unhealthy"), {"backend": settings.STORAGE_BACKEND}


CHECKS = {"database": check_database, "cache": check_cache, "task_queue": check_task_queue, "storage": check_storage}


def all_checks():
    found = dict(CHECKS)
    if replica_configured():
        # Degraded at worst: without the replica reads move to the primary and the node still serves.
        found["database:replica"] = check_replica
    for module in app_modules("health"):
        found.update(getattr(module, "CHECKS", {}))
    return found


def _maintenance():
    try:
        state = read_maintenance()
    except Exception:  # noqa: BLE001 - the database check above reports the cause
        return {"enabled": None}
    if not state.enabled:
        return {"enabled": False}
    return {
        "enabled": True,
        "since": state.since.isoformat(),
        "retry_after": state.retry_after,
        "message": state.message,
    }


@never_cache
@require_GET
def health_view(request):
    checks = {name: _timed(check) for name, check in all_checks().items()}
    statuses = {c["status"] for c in checks.values()}
    if checks["database"]["status"] == "unhealthy" or "unhealthy" in statuses:
        overall = "unhealthy"
    elif "degraded" in statuses:
        overall = "degraded"
    else:
        overall = "healthy"
    body = {
        "status": overall,
        "version": settings.CLASSPOINT_VERSION,
        "environment": settings.CLASSPOINT_ENV,
        "timestamp": timezone.now().isoformat(),
        "checks": checks,
        # Maintenance refuses writes by design; the node is no less healthy, so the status ignores it.
        "maintenance": _maintenance(),
    }
    return JsonResponse(body, status=503 if overall == "unhealthy" else 200)
