"""django-q2 entry points for messaging: send one message, release deferred ones.

A send is claimed (queued -> sending, committed) before the provider is called. If the worker dies
after that, django-q redelivers the task after Q_CLUSTER["retry"]; the redelivered task finds the
message still "sending" and cannot know whether the provider took it, so it fails the message with
that reason instead of calling the provider a second time. Transient errors are retried inside the
task with backoff (the message stays "sending" throughout), so a retry never looks like a crash.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import metrics
from .models import Message
from .pipeline import has_consent, quiet_hours_end, release_deferred
from .providers import PermanentProviderError, TransientProviderError, get_provider
from .status import advance

log = logging.getLogger(__name__)
S = Message.Status
INTERRUPTED = ("An earlier send was interrupted (the worker stopped while sending), so it is unknown whether the "
               "provider accepted it. Check the provider's log before sending it again.")  # fmt: skip


def backoff_seconds(attempt):
    return min(settings.MESSAGING_SEND_BACKOFF_SECONDS * (2 ** (attempt - 1)), 30)


def _finish(message, status, reason="", **fields):
    if advance(message, status, note=reason[:300], status_reason=reason[:300], **fields):
        metrics.count(message)


def send_message(message_id):
    """Send one message through its school's provider. Returns the message's final status."""
    message = Message.objects.select_related("school", "guardian").filter(pk=message_id).first()
    if message is None:
        return None
    if message.status == S.SENDING:
        # A live worker may still be on it; only a claim older than a task can run is abandoned.
        if message.updated_at > timezone.now() - timedelta(seconds=settings.MESSAGING_SEND_TASK_TIMEOUT):
            return message.status
        _finish(message, S.FAILED, INTERRUPTED, error=INTERRUPTED)
        return message.status
    if message.status != S.QUEUED:  # sent, suppressed, deferred again...: nothing to do
        return message.status
    # Quiet hours are checked again at send time: a backlog may have carried the message into them.
    quiet_end = None if message.urgent else quiet_hours_end(school=message.school)
    if quiet_end is not None:
        reason = f"Quiet hours: held until {quiet_end:%H:%M} school time."
        if advance(message, S.DEFERRED, note=reason, status_reason=reason, send_after=quiet_end):
            metrics.count(message)
        return message.status
    if message.guardian is not None and not has_consent(message.guardian, message.channel):
        _finish(message, S.SUPPRESSED, f"Consent for {message.get_channel_display()} was withdrawn before sending.")
        return message.status
    try:
        provider = get_provider(school=message.school, channel=message.channel)
    except PermanentProviderError as exc:
        metrics.PROVIDER_ERRORS.labels(provider="config", kind="permanent").inc()
        _finish(message, S.FAILED, exc.reason, error=exc.reason)
        return message.status
    if provider.rate_per_minute and _over_rate(message, provider):
        wait = timezone.now() + timedelta(minutes=1)
        reason = f"Rate limit of {provider.rate_per_minute} {message.get_channel_display()} messages a minute reached."
        if advance(message, S.DEFERRED, note=reason, status_reason=reason, send_after=wait):
            metrics.count(message)
        return message.status
    if not advance(message, S.SENDING, note=f"Sending via {provider.key}.", provider=provider.key):
        return message.status  # another task claimed it first
    metrics.count(message)
    return _send_with_retries(message, provider)


def _over_rate(message, provider):
    """Whether the school already sent its per-minute share on this channel. Approximate under
    concurrency (workers may each pass the check at once), which the provider's own queue absorbs;
    a message over the limit is deferred a minute and released by the sweep."""
    since = timezone.now() - timedelta(minutes=1)
    recent = Message.objects.for_school(message.school).filter(channel=message.channel, provider=provider.key)
    recent = recent.filter(Q(sent_at__gte=since) | Q(status=S.SENDING)).count()
    return recent >= provider.rate_per_minute


def _send_with_retries(message, provider):
    limit = settings.MESSAGING_SEND_MAX_ATTEMPTS
    for attempt in range(1, limit + 1):
        Message.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1)
        try:
            result = provider.send(message)
        except PermanentProviderError as exc:
            metrics.PROVIDER_ERRORS.labels(provider=provider.key, kind="permanent").inc()
            _finish(message, S.FAILED, exc.reason, error=f"[{exc.code}] {exc.reason}" if exc.code else exc.reason)
            return message.status
        except TransientProviderError as exc:
            metrics.PROVIDER_ERRORS.labels(provider=provider.key, kind="transient").inc()
            log.warning("message %s: attempt %s of %s failed: %s", message.pk, attempt, limit, exc.reason)
            if attempt == limit:
                reason = f"The provider was unavailable after {limit} attempts: {exc.reason}"
                _finish(message, S.FAILED, reason, error=reason)
                return message.status
            time.sleep(backoff_seconds(attempt))
        except Exception as exc:  # noqa: BLE001 - a bug or an unknown failure: the message must not stay "sending"
            log.exception("message %s: unexpected error while sending", message.pk)
            metrics.PROVIDER_ERRORS.labels(provider=provider.key, kind="unexpected").inc()
            reason = (f"Unexpected error while sending ({type(exc).__name__}); the provider may or may not have "
                      "accepted it. Check the provider's log before sending it again.")  # fmt: skip
            _finish(message, S.FAILED, reason, error=f"{type(exc).__name__}: {exc}")
            return message.status
        else:
            _finish(message, S.SENT, f"Accepted by {provider.key}.", provider_message_id=result.provider_message_id,
                    error="")  # fmt: skip
            if result.delivered:
                _finish(message, S.DELIVERED, f"Delivered ({provider.key}).")
            return message.status
    return message.status


def release_deferred_messages():
    return release_deferred()


def fail_stuck_sends(*, now=None):
    """Messages left "sending" longer than a send task can run were interrupted (a killed worker
    whose task will not come back): fail them with the reason, never send them again."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MESSAGING_SEND_TASK_TIMEOUT * 2)
    stuck = Message.objects.filter(status=S.SENDING, updated_at__lt=cutoff)  # unscoped: a sweep across schools
    failed = 0
    for message in stuck.order_by("id")[:500]:
        if advance(message, S.FAILED, note=INTERRUPTED[:300], status_reason=INTERRUPTED[:300], error=INTERRUPTED):
            metrics.count(message)
            failed += 1
    return failed


def sweep():
    """The every-minute schedule: release what quiet hours held, fail sends a dead worker left."""
    return {"released": release_deferred(), "stuck_failed": fail_stuck_sends()}
