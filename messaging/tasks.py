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
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from classpoint.scoping import for_school, unscoped

from . import metrics
from .features import channels_on
from .models import Message, MessageStatusChange
from .pipeline import has_consent, quiet_hours_end, release_deferred
from .providers import PermanentProviderError, TransientProviderError, get_provider
from .status import advance

log = logging.getLogger(__name__)
S = Message.Status
INTERRUPTED = (
    "An earlier send was interrupted (the worker stopped while sending), so it is unknown whether the "
    "provider accepted it. Check the provider's log before sending it again."
)


def backoff_seconds(attempt):
    return min(settings.MESSAGING_SEND_BACKOFF_SECONDS * (2 ** (attempt - 1)), 30)


def _finish(message, status, reason="", **fields):
    if advance(message, status, note=reason[:300], status_reason=reason[:300], **fields):
        metrics.count(message)


class _Shared:
    """What a task's messages have in common, read once per task rather than once per message: each
    school's quiet-hours end, its providers, and what is left of its per-minute send rate. A task
    stops taking messages after a third of its timeout, so these are at most ~30 s old."""

    def __init__(self):
        self._quiet, self._providers, self._budget, self._channels = {}, {}, {}, {}
        # (message, provider, result) the provider accepted and that is not yet recorded: it is written
        # in the next claim's transaction (one commit per message instead of two), or at the end.
        self.accepted = None

    def quiet_end(self, school):
        if school.pk not in self._quiet:
            self._quiet[school.pk] = quiet_hours_end(school=school)
        return self._quiet[school.pk]

    def channel_on(self, school, channel):
        """Whether the school still sends by `channel` (it may have switched it off since)."""
        if school.pk not in self._channels:
            self._channels[school.pk] = channels_on(school)
        return channel in self._channels[school.pk]

    def provider(self, school, channel):
        """The provider, or the PermanentProviderError saying why there is none."""
        key = (school.pk, channel)
        if key not in self._providers:
            try:
                self._providers[key] = get_provider(school=school, channel=channel)
            except PermanentProviderError as exc:
                self._providers[key] = exc
        return self._providers[key]

    def take_rate(self, message, provider):
        """Whether the school may send one more on this channel this minute; counts it if so.
        Approximate under concurrency (tasks each count what was sent), which the provider's own
        queue absorbs; a message over the limit is deferred a minute and released by the sweep."""
        if not provider.rate_per_minute:
            return True
        key = (message.school_id, message.channel)
        if key not in self._budget:
            since = timezone.now() - timedelta(minutes=1)
            recent = Message.objects.for_school(message.school).filter(channel=message.channel, provider=provider.key)
            recent = recent.filter(Q(sent_at__gte=since) | Q(status=S.SENDING)).count()
            self._budget[key] = provider.rate_per_minute - recent
        if self._budget[key] <= 0:
            return False
        self._budget[key] -= 1
        return True


def send_message(message_id):
    """Send one message through its school's provider. Returns the message's final status."""
    return send_messages([message_id]).get(message_id)


def send_messages(message_ids):
    """Send these messages one after another (the django-q task the pipeline queues). Returns
    {id: final status}. Past its time budget the task queues the rest as a new task and stops."""
    deadline = time.monotonic() + settings.MESSAGING_SEND_TASK_TIMEOUT / 3
    # A task carries messages of any school (the deferred sweep mixes them); each is sent inside
    # its own school's scope below.
    with unscoped(reason="a send task's ids name their messages, and each message its school"):
        messages = {m.pk: m for m in Message.objects.select_related("school", "guardian").filter(pk__in=message_ids)}
    ids = [pk for pk in dict.fromkeys(message_ids) if pk in messages]
    shared = _Shared()
    done = []
    try:
        for n, pk in enumerate(ids):
            if n and time.monotonic() > deadline:
                from .pipeline import enqueue_many

                enqueue_many(ids[n:])
                break
            with for_school(messages[pk].school_id):
                _send_one(messages[pk], shared)
            done.append(pk)
    finally:
        _record_pending(shared)
    return {pk: messages[pk].status for pk in done}


def _send_one(message, shared):
    if message.status == S.SENDING:
        # A live worker may still be on it; only a claim older than a task can run is abandoned.
        if message.updated_at > timezone.now() - timedelta(seconds=settings.MESSAGING_SEND_TASK_TIMEOUT):
            return message.status
        _finish(message, S.FAILED, INTERRUPTED, error=INTERRUPTED)
        return message.status
    if message.status != S.QUEUED:  # sent, suppressed, deferred again...: nothing to do
        return message.status
    # Quiet hours are checked again at send time: a backlog may have carried the message into them.
    quiet_end = None if message.urgent else shared.quiet_end(message.school)
    if quiet_end is not None:
        reason = f"Quiet hours: held until {quiet_end:%H:%M} school time."
        if advance(message, S.DEFERRED, note=reason, status_reason=reason, send_after=quiet_end):
            metrics.count(message)
        return message.status
    if message.guardian is not None and not has_consent(message.guardian, message.channel):
        _finish(message, S.SUPPRESSED, f"Consent for {message.get_channel_display()} was withdrawn before sending.")
        return message.status
    if not shared.channel_on(message.school, message.channel):
        _finish(
            message, S.SUPPRESSED, f"The school stopped sending by {message.get_channel_display()} before it was sent."
        )
        return message.status
    provider = shared.provider(message.school, message.channel)
    if isinstance(provider, PermanentProviderError):
        metrics.PROVIDER_ERRORS.labels(provider="config", kind="permanent").inc()
        _finish(message, S.FAILED, provider.reason, error=provider.reason)
        return message.status
    if not shared.take_rate(message, provider):
        wait = timezone.now() + timedelta(minutes=1)
        reason = f"Rate limit of {provider.rate_per_minute} {message.get_channel_display()} messages a minute reached."
        if advance(message, S.DEFERRED, note=reason, status_reason=reason, send_after=wait):
            metrics.count(message)
        return message.status
    if not _claim(message, provider, shared):
        message.refresh_from_db(fields=["status"])
        return message.status  # another task claimed it first
    metrics.count(message)
    return _send_with_retries(message, provider, shared)


def _claim(message, provider, shared):
    """queued -> sending, committed before the provider is called (see the module's docstring).
    One conditional UPDATE: of two tasks holding the same message, one claims it. The previous
    message's acceptance is recorded in the same transaction."""
    now = timezone.now()
    with transaction.atomic():
        changes, after = _write_accepted(shared)
        claimed = Message.objects.filter(pk=message.pk, status=S.QUEUED).update(
            status=S.SENDING, provider=provider.key, attempts=F("attempts") + 1, updated_at=now
        )
        if claimed:
            changes.append(
                MessageStatusChange(
                    school_id=message.school_id,
                    message_id=message.pk,
                    status=S.SENDING,
                    note=f"Sending via {provider.key}.",
                    at=now,
                )
            )
        MessageStatusChange.objects.bulk_create(changes)
    after()
    if not claimed:
        return False
    message.status, message.provider, message.updated_at = S.SENDING, provider.key, now
    message.attempts += 1
    return True


def _record_pending(shared):
    if shared.accepted is None:
        return
    with transaction.atomic():
        changes, after = _write_accepted(shared)
        MessageStatusChange.objects.bulk_create(changes)
    after()


def _write_accepted(shared):
    """Write sending -> sent (-> delivered when the provider's answer already means it) for the
    message the provider last accepted, inside the caller's transaction. Returns the history rows
    to insert and what to do once committed. If something moved the message meanwhile, the
    forward-only path decides, after the commit.

    It runs in the message's own school's scope: the caller's is the next message's (a task may
    mix schools) or, after the last message, none at all."""
    if shared.accepted is None:
        return [], lambda: None
    message = shared.accepted[0]
    with for_school(message.school_id):
        changes, after = _write_accepted_in_scope(shared)

    def after_in_scope():
        with for_school(message.school_id):
            after()

    return changes, after_in_scope


def _write_accepted_in_scope(shared):
    message, provider, result = shared.accepted
    shared.accepted = None
    now = timezone.now()
    accepted, delivered = f"Accepted by {provider.key}.", f"Delivered ({provider.key})."
    final = S.DELIVERED if result.delivered else S.SENT
    moved = Message.objects.filter(pk=message.pk, status=S.SENDING).update(
        status=final,
        status_reason=delivered if result.delivered else accepted,
        sent_at=now,
        delivered_at=now if result.delivered else None,
        provider_message_id=result.provider_message_id,
        error="",
        updated_at=now,
    )
    if not moved:

        def after():
            _finish(message, S.SENT, accepted, provider_message_id=result.provider_message_id, error="")
            if result.delivered:
                _finish(message, S.DELIVERED, delivered)

        return [], after
    changes = [
        MessageStatusChange(school_id=message.school_id, message_id=message.pk, status=S.SENT, note=accepted, at=now)
    ]
    if result.delivered:
        changes.append(
            MessageStatusChange(
                school_id=message.school_id, message_id=message.pk, status=S.DELIVERED, note=delivered, at=now
            )
        )

    def after():
        message.status, message.sent_at = final, now
        message.provider_message_id = result.provider_message_id
        metrics.MESSAGES.labels(channel=message.channel, status=S.SENT).inc()
        if result.delivered:
            message.delivered_at = now
            metrics.count(message)

    return changes, after


def _send_with_retries(message, provider, shared):
    limit = settings.MESSAGING_SEND_MAX_ATTEMPTS
    for attempt in range(1, limit + 1):
        if attempt > 1:  # the claim counted the first
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
            reason = (
                f"Unexpected error while sending ({type(exc).__name__}); the provider may or may not have "
                "accepted it. Check the provider's log before sending it again."
            )
            _finish(message, S.FAILED, reason, error=f"{type(exc).__name__}: {exc}")
            return message.status
        else:
            shared.accepted = (message, provider, result)
            return message.status
    return message.status


@unscoped(reason="a sweep across every school's deferred messages")
def release_deferred_messages():
    return release_deferred()


@unscoped(reason="a sweep across every school's interrupted sends")
def fail_stuck_sends(*, now=None):
    """Messages left "sending" longer than a send task can run were interrupted (a killed worker
    whose task will not come back): fail them with the reason, never send them again."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MESSAGING_SEND_TASK_TIMEOUT * 2)
    stuck = Message.objects.filter(status=S.SENDING, updated_at__lt=cutoff)
    failed = 0
    for message in stuck.order_by("id")[:500]:
        if advance(message, S.FAILED, note=INTERRUPTED[:300], status_reason=INTERRUPTED[:300], error=INTERRUPTED):
            metrics.count(message)
            failed += 1
    return failed


@unscoped(reason="the every-minute sweep spans schools")
def sweep():
    """The every-minute schedule: release what quiet hours held, fail sends a dead worker left."""
    return {"released": release_deferred(), "stuck_failed": fail_stuck_sends()}
