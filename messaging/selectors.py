"""Reads of the message log, shared by the workspace page and the API so both filter alike."""

import datetime

from django.db.models import Q

from .models import ConsentChange, Message


def messages_list(*, school, status="", channel="", template_type="", date_from=None, date_to=None, q=""):
    """The school's messages, newest first. Dates are school-local days, both ends included."""
    messages = Message.objects.for_school(school).select_related("guardian", "student")
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    if template_type:
        messages = messages.filter(template_type=template_type)
    if date_from:
        messages = messages.filter(created_at__gte=school.local_day_start(date_from))
    if date_to:
        messages = messages.filter(created_at__lt=school.local_day_start(date_to + datetime.timedelta(days=1)))
    q = (q or "").strip()
    if q:
        match = Q(to_address__icontains=q) | Q(guardian__last_name__icontains=q) | Q(guardian__first_name__icontains=q)
        parts = q.split()
        if len(parts) >= 2:
            match |= Q(guardian__first_name__icontains=parts[0], guardian__last_name__icontains=parts[-1])
        messages = messages.filter(match)
    return messages.order_by("-created_at", "-id")


def message_detail(*, school, message_id):
    """The message with its history; raises Message.DoesNotExist for a missing or another school's id."""
    return (
        Message.objects.for_school(school)
        .select_related("guardian", "student")
        .prefetch_related("history")
        .get(pk=message_id)
    )


def message_retries(*, school, message):
    return list(
        Message.objects.for_school(school)
        .filter(idempotency_key__startswith=f"retry:{message.pk}:")
        .order_by("created_at", "id")
    )


def messages_to_guardians(*, school, guardian_ids, template_types, since, student_id=None, limit=200):
    """Messages of these template types sent to these guardians since `since` (a moment), oldest
    first, at most `limit`: those about no student, and those about `student_id` if given (a
    family's messages about its other children carry theirs)."""
    about = Q(student__isnull=True)
    if student_id:
        about |= Q(student_id=student_id)
    return (
        Message.objects.for_school(school)
        .filter(about, guardian_id__in=guardian_ids, template_type__in=template_types, created_at__gte=since)
        .order_by("created_at", "id")[:limit]
    )


def messages_failed_count(*, school, since):
    """Messages created since `since` (a moment) that failed (the dashboard's tile and rail)."""
    return Message.objects.for_school(school).filter(status=Message.Status.FAILED, created_at__gte=since).count()


def consent_history(*, school, guardian, limit=20):
    return list(ConsentChange.objects.for_school(school).filter(guardian=guardian).select_related("actor")[:limit])


def messages_of_student(*, school, student_id, guardian_ids, limit=100):
    """What the school sent about a pupil, newest first: every message about them, and those to
    their guardians about no child in particular (an announcement, a general notice). At most
    `limit`; a family's messages about its other children are theirs, not this pupil's."""
    about = Q(student_id=student_id)
    if guardian_ids:
        about |= Q(student__isnull=True, guardian_id__in=list(guardian_ids))
    return list(
        Message.objects.for_school(school)
        .filter(about)
        .select_related("guardian", "student")
        .order_by("-created_at", "-id")[:limit]
    )


def messages_to_guardian(*, school, guardian, limit=100):
    """Every message sent to one guardian, newest first, at most `limit`."""
    return list(
        Message.objects.for_school(school)
        .filter(guardian=guardian)
        .select_related("guardian", "student")
        .order_by("-created_at", "-id")[:limit]
    )
