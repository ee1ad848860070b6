"""django-q2 entry points for the outbox."""

from django.conf import settings

from . import worker


def drain_outbox(linger_seconds=None):
    # Bounded well inside the cluster's task timeout, so a long backlog never overruns it; the
    # next nudge or the minute schedule carries on.
    linger = settings.OUTBOX_DRAIN_LINGER_SECONDS if linger_seconds is None else linger_seconds
    return worker.drain(batch_size=100, max_seconds=60, linger_seconds=linger)


def reset_stuck_claims():
    released = worker.reset_stuck()
    _prune()
    return released


def _prune():
    """Housekeeping that rides on the 15-minute schedule: idempotency answers are promised for a
    day, and heartbeats of processes gone for a day only clutter the admin."""
    from datetime import timedelta

    from django.utils import timezone

    from classpoint.models import IdempotencyRecord, WorkerHeartbeat

    cutoff = timezone.now() - timedelta(days=1)
    IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    WorkerHeartbeat.objects.filter(last_seen__lt=cutoff).delete()
