"""From a `messaging.requested` event to messages on their way: recipients, channel, consent,
quiet hours, rendering, one Message per (request, guardian, channel), then a send task.

Every outcome is a Message row, including the ones that are suppressed or deferred, so the log
answers "why did this parent not get it?" without reading code. Idempotent: a redelivered request
finds its messages (unique idempotency key) and creates nothing.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from schools.models import Guardian, SchoolProfile, Student

from . import metrics
from .errors import MessagingError
from .models import Channel, Message, MessageStatusChange, MessageTemplate
from .status import advance

log = logging.getLogger(__name__)
S = Message.Status
# The order in which other channels are tried when the wanted one cannot be used.
FALLBACK_ORDER = [Channel.SMS, Channel.WHATSAPP, Channel.EMAIL]
CHANNEL_LABELS = dict(Channel.choices)


# --- Recipients and channel ------------------------------------------------------------------


def recipients(*, school, payload):
    """The guardians asked for (payload guardian_ids), or else the guardians of payload student_id;
    only this school's, each once."""
    guardian_ids = payload.get("guardian_ids") or []
    guardians = Guardian.objects.for_school(school)
    if guardian_ids:
        return list(guardians.filter(pk__in=guardian_ids).order_by("pk"))
    if payload.get("student_id"):
        return list(guardians.filter(student_links__student_id=payload["student_id"]).distinct().order_by("pk"))
    return []


def address_for(guardian, channel):
    return guardian.email if channel == Channel.EMAIL else guardian.phone


def has_consent(guardian, channel):
    return bool(getattr(guardian, f"consent_{channel}", False))


def choose_channel(guardian, requested=None):
    """(channel, None) for the channel to use, or (wanted channel, reason) when none can be used.

    Wanted is the request's channel, else the guardian's preference; when that one lacks consent or
    an address, another channel the guardian consented to and has an address for is used."""
    wanted = requested if requested in CHANNEL_LABELS else guardian.preferred_channel
    order = [wanted] + [c for c in FALLBACK_ORDER if c != wanted]
    problems = []
    for channel in order:
        if not has_consent(guardian, channel):
            problems.append(f"no consent for {CHANNEL_LABELS[channel]}")
        elif not address_for(guardian, channel):
            problems.append(f"no {'email address' if channel == Channel.EMAIL else 'phone number'} for "
                            f"{CHANNEL_LABELS[channel]}")  # fmt: skip
        else:
            return channel, None
    return wanted, "Not sent: " + "; ".join(problems) + "."


# --- Quiet hours -----------------------------------------------------------------------------


def _now():  # one seam for the clock, so tests can stand at 20:59 or 07:00 school time
    return timezone.now()


def quiet_hours_end(*, school, now=None):
    """When the school's quiet hours end, if `now` falls inside them (an aware datetime), else None.

    The window is school-local and may cross midnight (21:00-07:00): 21:00 is inside, 07:00 is not."""
    profile = SchoolProfile.objects.filter(school=school).first()
    if profile is None:
        return None
    start, end = profile.quiet_hours_start, profile.quiet_hours_end
    if start == end:  # no quiet hours
        return None
    local = (now or _now()).astimezone(school.tzinfo)
    moment = local.time().replace(tzinfo=None)
    inside = start <= moment < end if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    # Past the end time today means the window closes tomorrow (only when it crosses midnight).
    day = local.date() + datetime.timedelta(days=1 if moment >= end else 0)
    return datetime.datetime.combine(day, end, tzinfo=school.tzinfo)


# --- Templates -------------------------------------------------------------------------------


def _default(type_, channel):
    from .defaults import default_for

    return default_for(type_, channel)


def template_for(*, school, type_, channel):
    """(template, None), or (None, reason). The school's own template wins; without one, the
    built-in default; a template the school switched off means the school does not want it sent."""
    template = MessageTemplate.objects.for_school(school).filter(type=type_, channel=channel).first()
    if template is not None:
        if not template.is_active:
            return None, f"The school has switched off the {type_} template for {CHANNEL_LABELS[channel]}."
        return template, None
    default = _default(type_, channel)
    if default is None:
        return None, f"No {type_} template for {CHANNEL_LABELS[channel]}, and no built-in default."
    subject, body = default
    return MessageTemplate(school=school, type=type_, channel=channel, subject=subject, body=body), None


def render_for(*, school, guardian, type_, channel, context):
    """(subject, body, None) or ("", "", reason)."""
    from .rendering import render

    template, reason = template_for(school=school, type_=type_, channel=channel)
    if template is None:
        return "", "", reason
    from .preferences import preferences_link

    full = {"school_name": school.name, "guardian_name": f"{guardian.first_name} {guardian.last_name}".strip(),
            "preferences_link": preferences_link(school=school, guardian=guardian), **(context or {})}  # fmt: skip
    try:
        subject, body = render(template=template, context=full)
    except MessagingError as exc:
        return "", "", f"The {type_} template for {CHANNEL_LABELS[channel]} could not be rendered: {exc}"[:300]
    return subject, body, None


# --- The request handler ---------------------------------------------------------------------


def idempotency_key(*, event_id, guardian_id, channel):
    return f"req:{event_id}:{guardian_id}:{channel}"


def handle_request(event):
    """Turn one `messaging.requested` event into messages. Returns the messages it created."""
    school = event.school
    payload = event.payload or {}
    type_ = payload.get("template", "")
    urgent = bool(payload.get("urgent"))
    student = None
    if payload.get("student_id"):
        student = Student.objects.for_school(school).filter(pk=payload["student_id"]).first()
    done = set(
        Message.objects.for_school(school).filter(request_event_id=event.pk).values_list("guardian_id", flat=True)
    )
    quiet_end = None if urgent else quiet_hours_end(school=school)
    created = []
    for guardian in recipients(school=school, payload=payload):
        if guardian.pk in done:  # redelivered request: this guardian's message exists
            continue
        channel, reason = choose_channel(guardian, payload.get("channel"))
        subject, body, render_problem = render_for(school=school, guardian=guardian, type_=type_, channel=channel,
                                                   context=payload.get("context"))  # fmt: skip
        reason = reason or render_problem
        if reason:
            status, send_after = S.SUPPRESSED, None
        elif quiet_end is not None:
            status, send_after = S.DEFERRED, quiet_end
            reason = f"Quiet hours: held until {quiet_end:%H:%M} school time."
        else:
            status, send_after = S.QUEUED, None
        message = _create(
            school=school, event=event, guardian=guardian, student=student, channel=channel, type_=type_,
            subject=subject, body=body, status=status, reason=reason or "", urgent=urgent, send_after=send_after,
        )  # fmt: skip
        if message is None:
            continue
        created.append(message)
        if status == S.QUEUED:
            enqueue(message)
    return created


def _create(*, school, event, guardian, student, channel, type_, subject, body, status, reason, urgent, send_after):
    key = idempotency_key(event_id=event.pk, guardian_id=guardian.pk, channel=channel)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                school=school, guardian=guardian, student=student, channel=channel, template_type=type_,
                to_address=address_for(guardian, channel), subject=subject[:200], body=body, status=status,
                status_reason=reason[:300], urgent=urgent, idempotency_key=key, request_event_id=event.pk,
                send_after=send_after,
            )  # fmt: skip
    except IntegrityError:  # a concurrent delivery of the same request created it
        return None
    MessageStatusChange.objects.create(school=school, message=message, status=status, note=reason[:300],
                                       at=message.created_at)  # fmt: skip
    metrics.count(message)
    return message


# --- Sending ---------------------------------------------------------------------------------


def enqueue(message):
    """Send `message` in a task once the current transaction commits (the task must see the row)."""
    message_id = message.pk

    def start():
        from django_q.tasks import async_task

        async_task("messaging.tasks.send_message", message_id, task_name=f"message-{message_id}", group="messaging",
                   timeout=settings.MESSAGING_SEND_TASK_TIMEOUT)  # fmt: skip

    transaction.on_commit(start)


def release_deferred(*, now=None, batch_size=500):
    """Queue and send the deferred messages whose quiet hours are over. Returns how many."""
    now = now or _now()
    released = 0
    while True:
        due = list(
            Message.objects.filter(status=S.DEFERRED, send_after__lte=now)  # unscoped: a sweep across schools
            .order_by("send_after", "id")[:batch_size]
        )  # fmt: skip
        if not due:
            return released
        for message in due:
            with transaction.atomic():
                # advance() locks the row, so two sweeps never release the same message twice.
                if advance(message, S.QUEUED, note="Quiet hours ended.", status_reason=""):
                    metrics.count(message)
                    enqueue(message)
                    released += 1
