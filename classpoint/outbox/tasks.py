"""django-q2 entry points for the outbox."""

from django.conf import settings

from . import worker


def drain_outbox(linger_seconds=None):
    # Bounded well inside the cluster's task timeout, so a long backlog never overruns it; the
    # next nudge or the minute schedule carries on.
    linger = settings.OUTBOX_DRAIN_LINGER_SECONDS if linger_seconds is None else linger_seconds
    return worker.drain(batch_size=50, max_seconds=60, linger_seconds=linger)


def reset_stuck_claims():
    return worker.reset_stuck()
