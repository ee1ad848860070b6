"""Asking for a message to guardians: the `messaging.requested` event contract, and taking a request
back (`messaging.withdrawn`).

Any app may ask; only messaging sends (consent, quiet hours, channel choice, rendering). The payload
carries the template's context as plain values, so a message shows what was true when it was asked
for and messaging never imports the app that asked. Until messaging handles the event it is kept
in the outbox like any other, so nothing asked for is lost.
"""

from django.db import models

from classpoint.labels import code_label
from classpoint.outbox import emit, emit_many, emitted_keys

EVENT = "messaging.requested"
WITHDRAWN = "messaging.withdrawn"


class TemplateType(models.TextChoices):
    """The messages an app may ask for, by the name it asks with (`template=`), and what people call
    them. Messaging's templates and messages use these choices; defined here, in the contract, so a
    lower app can show a request in words without importing messaging."""

    PAYMENT_RECEIPT = "PAYMENT_RECEIPT", "Payment receipt"
    INVOICE_ISSUED = "INVOICE_ISSUED", "Invoice issued"
    OVERDUE_NOTICE = "OVERDUE_NOTICE", "Overdue notice"
    PAYMENT_PROOF_REJECTED = "PAYMENT_PROOF_REJECTED", "Transfer proof rejected"
    RESULT_READY = "RESULT_READY", "Results ready"
    RESULT_UPDATED = "RESULT_UPDATED", "Results updated"
    RESULT_WITHHELD = "RESULT_WITHHELD", "Results withheld"
    ANNOUNCEMENT = "ANNOUNCEMENT", "Announcement"
    APPLICATION_RECEIVED = "APPLICATION_RECEIVED", "Application received"
    APPLICATION_NEEDS_INFO = "APPLICATION_NEEDS_INFO", "Application needs information"
    APPLICATION_APPROVED = "APPLICATION_APPROVED", "Application approved"
    WELCOME = "WELCOME", "Welcome"
    ABSENCE_ALERT = "ABSENCE_ALERT", "Absence alert"
    ABSENCE_WITHDRAWN = "ABSENCE_WITHDRAWN", "Absence withdrawn"
    TRUANCY_LETTER = "TRUANCY_LETTER", "Truancy letter"


def template_label(code):
    """A message type in words (the choice's label; an unknown code's words)."""
    return TemplateType(code).label if code in TemplateType.values else code_label(code)


def _key(dedupe_key):
    return f"msg:{dedupe_key}"


def _payload(*, template, guardian_ids, context, student_id=None, reason="", channel=None, urgent=False, language=""):
    # channel: None lets messaging choose (the guardian's preference); urgent bypasses quiet hours.
    # language: the one to write in to a guardian who has not chosen their own ("" = the school's).
    payload = {
        "template": template,
        "guardian_ids": sorted({int(g) for g in guardian_ids}),
        "student_id": student_id,
        "context": context,
        "reason": reason,
        "channel": channel,
        "urgent": bool(urgent),
    }
    if language:
        payload["language"] = language
    return payload


def request_message(
    *,
    school,
    template,
    guardian_ids,
    context,
    dedupe_key,
    student_id=None,
    reason="",
    channel=None,
    urgent=False,
    language="",
):
    """One message request, at most once per `dedupe_key` in the school (call inside the caller's
    transaction: no commit, no request). Returns the outbox event."""
    payload = _payload(
        template=template,
        guardian_ids=guardian_ids,
        context=context,
        student_id=student_id,
        reason=reason,
        channel=channel,
        urgent=urgent,
        language=language,
    )
    return emit(school=school, event_type=EVENT, payload=payload, dedupe_key=_key(dedupe_key))


def withdraw_message(*, school, dedupe_key, follow_up_template=None, follow_up_context=None, reason=""):
    """Take back the request made with `dedupe_key` (call inside the caller's transaction, like
    `request_message`). Its messages not yet sent are suppressed with `reason`; guardians whose
    message already went out get `follow_up_template` (with `follow_up_context`, plain values) once;
    a request messaging has not handled yet sends nothing when it is. Once per key in the school.
    Returns the outbox event."""
    payload = {
        "dedupe_key": dedupe_key,
        "request_key": _key(dedupe_key),
        "follow_up_template": follow_up_template or "",
        "follow_up_context": follow_up_context or {},
        "reason": reason,
    }
    return emit(school=school, event_type=WITHDRAWN, payload=payload, dedupe_key=f"msg-withdrawn:{dedupe_key}")


def request_messages(*, school, requests):
    """Many requests in one insert. `requests`: dicts with the arguments of `request_message`
    (without `school`). The caller guarantees the dedupe keys are new."""
    events = [
        (
            EVENT,
            _payload(
                template=r["template"],
                guardian_ids=r["guardian_ids"],
                context=r["context"],
                student_id=r.get("student_id"),
                reason=r.get("reason", ""),
                channel=r.get("channel"),
                urgent=r.get("urgent", False),
                language=r.get("language", ""),
            ),
            _key(r["dedupe_key"]),
        )
        for r in requests
    ]
    return emit_many(school=school, events=events)


def already_requested(*, school, dedupe_keys):
    """Which of `dedupe_keys` were already asked for in this school (a batch checks before its
    single insert, since `request_messages` does no per-row check)."""
    keys = {_key(k): k for k in dedupe_keys}
    return {keys[k] for k in emitted_keys(school=school, dedupe_keys=keys)}


def requested_for_student(*, school, student_id, limit=50):
    """The latest message requests about a student, newest first (outbox_msg_student_idx)."""
    from classpoint.models import OutboxEvent

    return list(
        OutboxEvent.objects.filter(school=school, event_type=EVENT, payload__student_id=student_id).order_by(
            "-created_at"
        )[:limit]
    )


def mentions_invoice(event, number):
    """Whether a request's context is about invoice `number` (alone, or in a family's list)."""
    context = event.payload.get("context") or {}
    return context.get("invoice_number") == number or any(
        item.get("invoice_number") == number for item in context.get("invoices") or [] if isinstance(item, dict)
    )


def request_messages_once(*, school, requests, retries=2):
    """`request_messages` for batches that may run twice or at once (a button pressed twice, an
    event redelivered): requests whose dedupe key was already asked for are skipped, and when a
    concurrent batch inserts some of the same keys first, the keys are read again and only the rest
    asked for (its commit is visible once our insert has waited for it). Returns how many were
    asked for now. Give keys in a stable order so two batches wait on each other, not deadlock."""
    from django.db import IntegrityError, transaction

    for attempt in range(retries + 1):
        done = already_requested(school=school, dedupe_keys=[r["dedupe_key"] for r in requests])
        fresh = [r for r in requests if r["dedupe_key"] not in done]
        try:
            with transaction.atomic():
                request_messages(school=school, requests=fresh)
        except IntegrityError:
            if attempt == retries:
                raise
            continue
        return len(fresh)
    return 0
