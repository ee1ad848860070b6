"""Taking a request back (`messaging.withdrawn`, asked for with classpoint.messages.withdraw_message):
an absence alert whose pupil was marked present after all.

What a guardian has not been sent yet is never sent (queued, or held for quiet hours: suppressed
with the reason); a guardian who already has it gets the asking app's follow-up once ("Update: …
was marked present after all"); a request messaging has not handled yet is remembered by its key,
so when it comes (the outbox may deliver it after its withdrawal) its messages are suppressed as
they are planned (pipeline.handle_requests). Idempotent: the withdrawal is one row per request key,
a suppressed message stays suppressed, and a follow-up is one message per guardian.
"""

from django.db import transaction

from classpoint.messages import EVENT as REQUESTED
from classpoint.models import OutboxEvent

from . import metrics, pipeline
from .models import Message, MessageWithdrawal
from .pipeline_withdrawals import lock_against_withdrawals
from .status import advance

S = Message.Status
NOT_YET_SENT = frozenset({S.QUEUED, S.DEFERRED})
# Handed to the provider: the guardian may have read it, so they hear that it no longer holds.
WENT_OUT = frozenset({S.SENDING, S.SENT, S.DELIVERED, S.READ})


def status_reason(reason):
    reason = " ".join(str(reason or "").split())
    return f"withdrawn: {reason}"[:300] if reason else "withdrawn by the school before it was sent"


@transaction.atomic
def withdraw(*, school, event):
    """Handle one `messaging.withdrawn` event of `school`. Returns the follow-up messages created."""
    payload = event.payload or {}
    request_key = payload.get("request_key")
    if not request_key or not isinstance(request_key, str):
        return []
    lock_against_withdrawals(school=school, exclusive=True)
    withdrawal, _ = MessageWithdrawal.objects.get_or_create(
        school=school,
        request_key=request_key[:200],
        defaults={"reason": status_reason(payload.get("reason")), "event_id": event.pk},
    )
    requests = OutboxEvent.objects.filter(school=school, event_type=REQUESTED, dedupe_key=request_key)
    messages = list(
        Message.objects.for_school(school)
        .filter(request_event_id__in=list(requests.values_list("pk", flat=True)))
        .select_related("guardian", "student")
        # Locked, so a send task claiming one of them (queued -> sending) goes first or finds it
        # suppressed; and so two deliveries of this event take turns.
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for message in messages:
        if message.status in NOT_YET_SENT and advance(
            message, S.SUPPRESSED, note=withdrawal.reason, status_reason=withdrawal.reason
        ):
            metrics.count(message)
    template = payload.get("follow_up_template")
    went_out = [m for m in messages if m.status in WENT_OUT]
    if not template or not went_out:
        return []
    return follow_up(
        school=school,
        event=event,
        template=template,
        context=payload.get("follow_up_context") or {},
        messages=went_out,
    )


def follow_up(*, school, event, template, context, messages):
    """`template` (with `context`) to each guardian of `messages`, once per guardian and `event`
    (the follow-up's own request): on the channel their message went by, or another they consented
    to; consent, quiet hours and rendering as for any request. Returns the messages created."""
    done = set(
        Message.objects.for_school(school).filter(request_event_id=event.pk).values_list("guardian_id", flat=True)
    )
    quiet_end = pipeline.quiet_hours_end(school=school)
    templates = pipeline.school_templates(school)
    planned = []
    for message in messages:
        guardian = message.guardian
        if guardian is None or guardian.pk in done:
            continue
        done.add(guardian.pk)
        payload = {
            "template": template,
            "context": context,
            "channel": message.channel,
            "student_id": message.student_id,
            "urgent": message.urgent,
        }
        planned.append(
            pipeline._plan(
                school=school,
                event=event,
                payload=payload,
                guardian=guardian,
                student=message.student,
                templates=templates,
                quiet_end=None if message.urgent else quiet_end,
            )
        )
    created = pipeline._save(school=school, planned=planned)
    pipeline.enqueue_many([m.pk for m in created if m.status == S.QUEUED])
    return created
