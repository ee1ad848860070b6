"""Pausing one event type's handlers: the operator's lever when a handler misbehaves (a provider
that double-sends, a bad deploy of one consumer) and the rest of the outbox must keep flowing.

A pause is a row in the database (`PausedEventType`), so every worker on every machine sees it: the
claim query leaves that type's events where they are (worker.claim_batch), so they wait unclaimed,
keep their attempts, and never dead-letter; deleting the row lets the next drain take them. Events a
worker had already claimed when the pause was written finish their run (at most one batch each).
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from ..audit import audit
from ..models import OutboxEvent, PausedEventType
from .emit import nudge
from .registry import registered_event_types

log = logging.getLogger(__name__)


class UnknownEventType(ValueError):
    """Nobody handles the type: a pause of it would pause nothing (most likely a typo)."""


def paused_queryset():
    """The paused types as a subquery, for the worker's claim and the health check's lag."""
    return PausedEventType.objects.values("event_type")


def paused_types():
    return list(PausedEventType.objects.values_list("event_type", flat=True))


def pause(*, event_type, by, reason=""):
    """Pause `event_type`; returns (row, created). Pausing a paused type keeps its first pause (and
    its time), updating the reason only when one is given."""
    known = registered_event_types()
    if event_type not in known:
        raise UnknownEventType(f"No handler is registered for {event_type!r}. Registered types: {', '.join(known)}")
    with transaction.atomic():
        row, created = PausedEventType.objects.select_for_update().get_or_create(
            event_type=event_type, defaults={"reason": reason, "paused_by": by}
        )
        if not created and reason and reason != row.reason:
            row.reason = reason
            row.save(update_fields=["reason"])
        if created:
            audit(
                school=None,
                actor=None,
                action="outbox.type_paused",
                target=row,
                changes={"event_type": event_type, "reason": reason, "by": by},
            )
    if created:
        log.warning("outbox: %s paused by %s (%s)", event_type, by, reason or "no reason given")
    return row, created


def resume(*, event_type, by):
    """Resume `event_type`; returns how many of its events were waiting, or None if it was not paused.
    Any paused type can be resumed, registered or not (its handler may have gone in a deploy)."""
    with transaction.atomic():
        row = PausedEventType.objects.select_for_update().filter(event_type=event_type).first()
        if row is None:
            return None
        waiting = _waiting().filter(event_type=event_type).count()
        audit(
            school=None,
            actor=None,
            action="outbox.type_resumed",
            target=row,
            changes={"event_type": event_type, "paused_at": row.paused_at.isoformat(), "waiting": waiting, "by": by},
        )
        row.delete()
    log.warning("outbox: %s resumed by %s; %s events waiting", event_type, by, waiting)
    if settings.OUTBOX_NUDGE_ON_COMMIT:
        nudge()  # drain now rather than at the next minute's schedule
    return waiting


def _waiting():
    return OutboxEvent.objects.filter(processed_at__isnull=True, dead_at__isnull=True)


def paused_summary():
    """Each paused type with its reason, when and by whom, and how many of its events wait."""
    rows = list(PausedEventType.objects.all())
    if not rows:
        return []
    waiting = dict(
        _waiting()
        .filter(event_type__in=[r.event_type for r in rows])
        .values_list("event_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {
            "event_type": r.event_type,
            "reason": r.reason,
            "paused_at": r.paused_at.isoformat(),
            "paused_by": r.paused_by,
            "waiting": waiting.get(r.event_type, 0),
        }
        for r in rows
    ]
