"""Message statuses only move forward: a late or repeated provider callback never takes a
delivered message back to "sent". One place decides, for the pipeline and the callbacks alike."""

from django.db import transaction
from django.utils import timezone

from .models import Message, MessageStatusChange

S = Message.Status
# How far along each status is; a change is allowed only to a higher rank. Final states share the
# top ranks so nothing leaves them, except a delivered message being read.
RANK = {
    S.QUEUED: 0,
    S.DEFERRED: 0,
    S.SENDING: 1,
    S.SENT: 2,
    S.UNDELIVERED: 3,
    S.DELIVERED: 3,
    S.READ: 4,
    S.FAILED: 5,
    S.SUPPRESSED: 5,
}
# Deferred and queued alternate (a deferred message is queued again when its window opens).
SIDEWAYS = {(S.DEFERRED, S.QUEUED), (S.QUEUED, S.DEFERRED)}


def can_move(current, new):
    return (current, new) in SIDEWAYS or RANK[new] > RANK[current]


@transaction.atomic
def advance(message, new_status, *, note="", **fields):
    """Move `message` to `new_status` (with any other `fields`) if that is forward, recording the
    change; returns True if it moved. Locks the row, so concurrent callbacks apply in turn."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status == new_status or not can_move(locked.status, new_status):
        return False
    locked.status = new_status
    now = timezone.now()
    if new_status == S.SENT and not locked.sent_at:
        locked.sent_at = now
    if new_status in (S.DELIVERED, S.READ) and not locked.delivered_at:
        locked.delivered_at = now
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    MessageStatusChange.objects.create(
        school_id=locked.school_id, message=locked, status=new_status, note=note[:300], at=now
    )
    for name in ["status", "sent_at", "delivered_at", *fields]:
        setattr(message, name, getattr(locked, name))
    return True
