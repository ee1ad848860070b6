"""From a `messaging.requested` event to messages on their way: recipients, channel, consent,
quiet hours, language, rendering, one Message per (request, guardian, channel), then a send task.

A message is written in the guardian's language, else the request's (`language` in the payload: the
one a family applied in, before it chose any), else the school's, else English: the first of these
the school has a template in (its own, or a built-in default).

Every outcome is a Message row, including the ones that are suppressed or deferred, so the log
answers "why did this parent not get it?" without reading code. Idempotent: a redelivered request
finds its messages (unique idempotency key) and creates nothing. A request its app withdrew before
it was handled (messaging/withdrawals.py) makes suppressed messages only.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from classpoint import i18n
from classpoint.scoping import unscoped
from schools.models import Guardian, SchoolProfile, Student, StudentGuardian

from . import metrics
from .errors import MessagingError
from .features import channels_on
from .models import Channel, Message, MessageStatusChange, MessageTemplate
from .pipeline_withdrawals import lock_against_withdrawals, withdrawn_requests

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


def choose_channel(guardian, requested=None, channels=None):
    """(channel, None) for the channel to use, or (wanted channel, reason) when none can be used.

    Wanted is the request's channel, else the guardian's preference; when that one lacks consent or
    an address, or the school switched it off (`channels`: those it sends by, default all), another
    channel the guardian consented to and has an address for is used."""
    wanted = requested if requested in CHANNEL_LABELS else guardian.preferred_channel
    order = [wanted] + [c for c in FALLBACK_ORDER if c != wanted]
    problems = []
    for channel in order:
        if channels is not None and channel not in channels:
            problems.append(f"the school does not send by {CHANNEL_LABELS[channel]}")
        elif not has_consent(guardian, channel):
            problems.append(f"no consent for {CHANNEL_LABELS[channel]}")
        elif not address_for(guardian, channel):
            problems.append(
                f"no {'email address' if channel == Channel.EMAIL else 'phone number'} for {CHANNEL_LABELS[channel]}"
            )
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
    """The built-in English default (the one every type has)."""
    from .defaults import default_for

    return default_for(type_, channel)


def _builtin(type_, channel, language):
    if language == i18n.FALLBACK:
        return _default(type_, channel)
    from .defaults import default_for

    return default_for(type_, channel, language)


def languages_for(*, guardian, payload=None, school_language=""):
    """The languages to write to `guardian` in, most wanted first (see the module's docstring)."""
    wanted = (guardian.preferred_language, (payload or {}).get("language"), school_language, i18n.FALLBACK)
    return list(dict.fromkeys(code for code in map(i18n.supported, wanted) if code))


def school_templates(school):
    """The school's own templates by (type, channel, language), read once for a batch of requests."""
    return {(t.type, t.channel, t.language): t for t in MessageTemplate.objects.for_school(school)}


def template_for(*, school, type_, channel, templates=None, languages=(i18n.FALLBACK,)):
    """(template, None), or (None, reason). In the first of `languages` there is a template for:
    the school's own wins, else the built-in default. A template the school switched off means the
    school does not want it sent in that language. `templates` (from school_templates) saves the
    query when many requests are handled together."""
    if templates is None:
        templates = {
            (t.type, t.channel, t.language): t
            for t in MessageTemplate.objects.for_school(school).filter(type=type_, channel=channel)
        }
    for language in languages:
        template = templates.get((type_, channel, language))
        if template is not None:
            if not template.is_active:
                words = "" if language == i18n.FALLBACK else f" in {i18n.language_names().get(language, language)}"
                return None, f"The school has switched off the {type_} template for {CHANNEL_LABELS[channel]}{words}."
            return template, None
        default = _builtin(type_, channel, language)
        if default is not None:
            subject, body = default
            return MessageTemplate(
                school=school, type=type_, channel=channel, language=language, subject=subject, body=body
            ), None
    return None, f"No {type_} template for {CHANNEL_LABELS[channel]}, and no built-in default."


def message_language(school):
    """The school's default language for messages, read once per school object (its profile)."""
    return i18n.school_language(school)


def render_for(*, school, guardian, type_, channel, context, templates=None, payload=None):
    """(subject, body, None) or ("", "", reason), in the guardian's language (languages_for): the
    typed values of the context are formatted in that language too, moments in the school's time."""
    from .rendering import render

    languages = languages_for(guardian=guardian, payload=payload, school_language=message_language(school))
    template, reason = template_for(
        school=school, type_=type_, channel=channel, templates=templates, languages=languages
    )
    if template is None:
        return "", "", reason
    from .preferences import preferences_link

    full = {
        "school_name": school.name,
        "guardian_name": f"{guardian.first_name} {guardian.last_name}".strip(),
        "preferences_link": preferences_link(school=school, guardian=guardian),
        **(context or {}),
    }
    try:
        with translation.override(template.language), timezone.override(school.tzinfo):
            subject, body = render(template=template, context=full)
    except MessagingError as exc:
        return "", "", f"The {type_} template for {CHANNEL_LABELS[channel]} could not be rendered: {exc}"[:300]
    return subject, body, None


# --- The request handler ---------------------------------------------------------------------


def idempotency_key(*, event_id, guardian_id, channel):
    return f"req:{event_id}:{guardian_id}:{channel}"


def _recipients_by_event(*, school, events):
    """{event id: [guardian, ...]} for many requests in two queries: each event's guardians as
    `recipients` would find them (this school's only, each once, in id order)."""
    wanted = {}  # event id -> guardian ids
    student_events = {}
    for event in events:
        payload = event.payload or {}
        if payload.get("guardian_ids"):
            wanted[event.pk] = {g for g in payload["guardian_ids"] if isinstance(g, int)}
        elif payload.get("student_id"):
            student_events[event.pk] = payload["student_id"]
        else:
            wanted[event.pk] = set()
    if student_events:
        links = StudentGuardian.objects.for_school(school).filter(student_id__in=set(student_events.values()))
        by_student = {}
        for student_id, guardian_id in links.values_list("student_id", "guardian_id"):
            by_student.setdefault(student_id, set()).add(guardian_id)
        for event_id, student_id in student_events.items():
            wanted[event_id] = by_student.get(student_id, set())
    ids = set().union(*wanted.values()) if wanted else set()
    guardians = {g.pk: g for g in Guardian.objects.for_school(school).filter(pk__in=ids)} if ids else {}
    return {event_id: [guardians[g] for g in sorted(gids) if g in guardians] for event_id, gids in wanted.items()}


def handle_request(event):
    """Turn one `messaging.requested` event into messages. Returns the messages it created."""
    return handle_requests([event])


def handle_requests(events):
    """Turn `messaging.requested` events of one school into messages, reading the school's quiet
    hours, templates, students and guardians once for all of them. Returns the messages created.

    A redelivered request finds its messages (by request and guardian) and creates nothing again."""
    if not events:
        return []
    school = events[0].school
    assert all(e.school_id == school.pk for e in events), "a batch of requests is one school's"
    lock_against_withdrawals(school=school)
    withdrawn = withdrawn_requests(school=school, events=events)
    quiet_end = quiet_hours_end(school=school)
    channels = channels_on(school)
    templates = school_templates(school)
    student_ids = {(e.payload or {}).get("student_id") for e in events} - {None}
    students = {s.pk: s for s in Student.objects.for_school(school).filter(pk__in=student_ids)} if student_ids else {}
    done = set(
        Message.objects.for_school(school)
        .filter(request_event_id__in=[e.pk for e in events])
        .values_list("request_event_id", "guardian_id")
    )
    by_id = {e.pk: e for e in events}
    planned = []
    for event_id, guardians in _recipients_by_event(school=school, events=events).items():
        event = by_id[event_id]
        payload = event.payload or {}
        for guardian in guardians:
            if (event.pk, guardian.pk) in done:  # redelivered request: this guardian's message exists
                continue
            planned.append(
                _plan(
                    school=school,
                    event=event,
                    payload=payload,
                    guardian=guardian,
                    student=students.get(payload.get("student_id")),
                    templates=templates,
                    channels=channels,
                    quiet_end=None if payload.get("urgent") else quiet_end,
                    withdrawn=withdrawn.get(event.dedupe_key),
                )
            )
    created = _save(school=school, planned=planned)
    enqueue_many([m.pk for m in created if m.status == S.QUEUED])
    return created


def _plan(*, school, event, payload, guardian, student, templates, quiet_end, withdrawn=None, channels=None):
    """The Message (unsaved) one request makes for one guardian: sent, held for the morning, or
    suppressed with the reason (`withdrawn`: the reason its app took the request back)."""
    type_ = payload.get("template", "")
    channel, reason = choose_channel(guardian, payload.get("channel"), channels)
    subject, body, render_problem = render_for(
        school=school,
        guardian=guardian,
        type_=type_,
        channel=channel,
        context=payload.get("context"),
        templates=templates,
        payload=payload,
    )
    reason = reason or render_problem
    if withdrawn:
        status, send_after, reason = S.SUPPRESSED, None, withdrawn
    elif reason:
        status, send_after = S.SUPPRESSED, None
    elif quiet_end is not None:
        status, send_after = S.DEFERRED, quiet_end
        reason = f"Quiet hours: held until {quiet_end:%H:%M} school time."
    else:
        status, send_after = S.QUEUED, None
    return Message(
        school=school,
        guardian=guardian,
        student=student,
        channel=channel,
        template_type=type_,
        to_address=address_for(guardian, channel),
        subject=subject[:200],
        body=body,
        status=status,
        status_reason=(reason or "")[:300],
        urgent=bool(payload.get("urgent")),
        request_event_id=event.pk,
        idempotency_key=idempotency_key(event_id=event.pk, guardian_id=guardian.pk, channel=channel),
        send_after=send_after,
        created_at=timezone.now(),
    )


def _save(*, school, planned):
    """Insert the planned messages and their first history row. One bulk insert; if a concurrent
    delivery of one of the requests got there first (unique idempotency key), one by one, skipping
    the messages that exist."""
    if not planned:
        return []
    created = None
    if len(planned) > 1:
        try:
            with transaction.atomic():
                created = Message.objects.bulk_create(planned, batch_size=1000)
        except IntegrityError:
            for message in planned:
                message.pk = None
    if created is None:
        created = []
        for message in planned:
            try:
                with transaction.atomic():
                    message.save(force_insert=True)
            except IntegrityError:
                continue
            created.append(message)
    MessageStatusChange.objects.bulk_create(
        [
            MessageStatusChange(school=school, message=m, status=m.status, note=m.status_reason, at=m.created_at)
            for m in created
        ],
        batch_size=1000,
    )
    for message in created:
        metrics.count(message)
    return created


def _create(*, school, event, guardian, student, channel, type_, subject, body, status, reason, urgent, send_after):
    """One message, as the pipeline would save it (for callers and tests that build one by hand)."""
    message = Message(
        school=school,
        guardian=guardian,
        student=student,
        channel=channel,
        template_type=type_,
        to_address=address_for(guardian, channel),
        subject=subject[:200],
        body=body,
        status=status,
        status_reason=reason[:300],
        urgent=urgent,
        request_event_id=event.pk,
        send_after=send_after,
        idempotency_key=idempotency_key(event_id=event.pk, guardian_id=guardian.pk, channel=channel),
        created_at=timezone.now(),
    )
    created = _save(school=school, planned=[message])
    return created[0] if created else None


# --- Sending ---------------------------------------------------------------------------------


def enqueue(message):
    """Send `message` in a task once the current transaction commits (the task must see the row)."""
    enqueue_many([message.pk])


def enqueue_many(message_ids):
    """Send these messages in tasks of MESSAGING_SEND_BATCH once the current transaction commits:
    a campaign of 10,000 is 200 tasks, not 10,000, and each task reads its school's settings once."""
    ids = list(message_ids)
    if not ids:
        return
    size = settings.MESSAGING_SEND_BATCH

    def start():
        from django_q.tasks import async_task

        for i in range(0, len(ids), size):
            chunk = ids[i : i + size]
            async_task(
                "messaging.tasks.send_messages",
                chunk,
                task_name=f"messages-{chunk[0]}-{len(chunk)}",
                group="messaging",
                timeout=settings.MESSAGING_SEND_TASK_TIMEOUT,
            )

    transaction.on_commit(start)


@unscoped(reason="a sweep across every school's deferred messages")
def release_deferred(*, now=None, batch_size=500):
    """Queue and send the deferred messages whose quiet hours are over. Returns how many.

    A 10,000-message backlog is released at 07:00 in twenty statements, not 10,000 transactions;
    the rows are locked and re-checked (still deferred), so two sweeps never release one twice."""
    now = now or _now()
    released = 0
    while True:
        with transaction.atomic():
            due = Message.objects.filter(status=S.DEFERRED, send_after__lte=now)
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            rows = list(due.order_by("send_after", "id").values_list("id", "school_id", "channel")[:batch_size])
            if not rows:
                return released
            ids = [row[0] for row in rows]
            Message.objects.filter(pk__in=ids, status=S.DEFERRED).update(
                status=S.QUEUED, status_reason="", updated_at=timezone.now()
            )
            at = timezone.now()
            MessageStatusChange.objects.bulk_create(
                [
                    MessageStatusChange(
                        school_id=school_id, message_id=pk, status=S.QUEUED, note="Quiet hours ended.", at=at
                    )
                    for pk, school_id, _ in rows
                ]
            )
            for _pk, _school, channel in rows:
                metrics.MESSAGES.labels(channel=channel, status=S.QUEUED).inc()
            enqueue_many(ids)
            released += len(ids)
