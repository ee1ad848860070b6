"""Staff retry of a failed message: a NEW message (the failed one keeps its history untouched), sent
through the pipeline like any other."""

from django.db import transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit

from .errors import MessagingError, MessagingErrorCode
from .models import Channel, Message, MessageStatusChange

RETRYABLE = (Message.Status.FAILED,)


def _current_address(message):
    """The guardian's address today (a failed send is often a number since corrected)."""
    guardian = message.guardian
    if guardian is None:
        return message.to_address
    return (guardian.email if message.channel == Channel.EMAIL else guardian.phone) or message.to_address


@transaction.atomic
def message_retry(*, message, actor):
    """Queue a copy of failed `message` with idempotency key "retry:<old id>:<n>" and hand it to
    `messaging.pipeline.enqueue` after commit. Returns the new message."""
    # The lock makes concurrent retries of one message number themselves in turn.
    old = Message.objects.select_for_update(of=("self",)).select_related("guardian").get(pk=message.pk)
    if old.status not in RETRYABLE:
        raise MessagingError(
            _("Only a failed message can be retried."),
            code=MessagingErrorCode.NOT_RETRYABLE,
            fields={"status": [_("This message is %(status)s.") % {"status": old.get_status_display().lower()}]},
        )
    guardian = old.guardian
    if guardian is not None and not getattr(guardian, f"consent_{old.channel}", False):
        raise MessagingError(
            _("The guardian has not agreed to this channel; nothing was sent."),
            code=MessagingErrorCode.NO_CONSENT,
            fields={"channel": [_("No consent for %(channel)s.") % {"channel": old.channel}]},
        )
    n = Message.objects.filter(school_id=old.school_id, idempotency_key__startswith=f"retry:{old.pk}:").count() + 1
    new = Message.objects.create(
        school_id=old.school_id,
        guardian=guardian,
        student_id=old.student_id,
        channel=old.channel,
        template_type=old.template_type,
        to_address=_current_address(old),
        subject=old.subject,
        body=old.body,
        urgent=old.urgent,
        idempotency_key=f"retry:{old.pk}:{n}",
        status=Message.Status.QUEUED,
        status_reason=f"Retry {n} of message {old.pk}",
    )
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "system"
    MessageStatusChange.objects.create(
        school_id=old.school_id, message=new, status=new.status, note=f"Retry {n} of message {old.pk} by {who}"
    )
    audit(
        school=old.school, actor=actor, action="message.retried", target=old, changes={"retry_id": new.pk, "attempt": n}
    )

    def send():
        from . import pipeline

        pipeline.enqueue(new)

    transaction.on_commit(send)
    return new
