"""Announcements: write one, publish it (now or at its scheduled time), fan it out to families.

Publishing only records `published_at` and emits `announcement.published`; the fan-out runs in the
outbox handler, so a 10,000-family school publishes in one short transaction. The fan-out asks for
one message per guardian (a guardian of three pupils is one family, one message) in ONE bulk insert,
keyed `announcement:<id>:<guardian id>` (plus `:<channel>` when staff chose channels), so a redelivered
event asks for nothing twice and the announcement's messages are found again by those keys.
"""

import logging

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.messages import request_messages_once
from classpoint.models import OutboxEvent
from classpoint.outbox import emit
from classpoint.scoping import for_school, unscoped
from fees.collections import defaulters
from schools.models import ClassGroup, Enrollment, Guardian, Student, StudentGuardian

from .errors import MessagingError, MessagingErrorCode
from .features import channels_on
from .models import Announcement, Channel, GuardianList, Message, TemplateType

log = logging.getLogger(__name__)
EVENT = "announcement.published"
S = Message.Status
# What staff read on the announcement page; the pipeline's finer statuses fold into these.
COUNT_BUCKETS = {
    S.QUEUED: "queued",
    S.SENDING: "queued",
    S.DEFERRED: "deferred",
    S.SENT: "sent",
    S.DELIVERED: "delivered",
    S.READ: "delivered",
    S.FAILED: "failed",
    S.UNDELIVERED: "failed",
    S.SUPPRESSED: "suppressed",
}
BUCKETS = ["queued", "deferred", "sent", "delivered", "failed", "suppressed"]
# Still moving without anyone acting: the page keeps polling while any of these remain.
IN_FLIGHT = {"queued", "deferred"}


def _key_prefix(announcement_id):
    return f"announcement:{announcement_id}:"


def published_key(announcement_id):
    """The dedupe key of an announcement's `announcement.published` event (its fan-out)."""
    return f"{EVENT}:{announcement_id}"


def dedupe_key(*, announcement_id, guardian_id, channel=None):
    key = f"{_key_prefix(announcement_id)}{guardian_id}"
    return f"{key}:{channel}" if channel else key


# --- Writing and publishing ------------------------------------------------------------------


@transaction.atomic
def announcement_create(
    *,
    school,
    actor,
    title,
    body,
    audience=Announcement.Audience.WHOLE_SCHOOL,
    class_group_ids=(),
    channels=(),
    scheduled_for=None,
    guardian_list_id=None,
):
    """A draft announcement (published later by hand, or by the schedule when `scheduled_for` comes)."""
    title, body = (title or "").strip(), (body or "").strip()
    channels = list(dict.fromkeys(channels or []))
    class_group_ids = sorted({int(c) for c in class_group_ids or []})
    errors = {}
    if not title:
        errors["title"] = [_("Give the announcement a title.")]
    elif len(title) > 120:
        errors["title"] = [_("Keep the title to %(max)s characters.") % {"max": 120}]
    if not body:
        errors["body"] = [_("Write the announcement's text.")]
    if audience not in Announcement.Audience.values:
        errors["audience"] = [_("Choose who it is for.")]
    bad_channels = [c for c in channels if c not in Channel.values]
    # A channel the school switched off is refused, not just skipped: staff would believe it was used.
    sent_by = channels_on(school) if channels else set()
    switched_off = [Channel(c).label for c in channels if c in Channel.values and c not in sent_by]
    if bad_channels:
        errors["channels"] = [_("Unknown channel: %(keys)s.") % {"keys": ", ".join(map(str, bad_channels))}]
    elif switched_off:
        errors["channels"] = [
            _("The school does not send by %(channels)s: it is switched off in the school's settings.")
            % {"channels": f" {_('or')} ".join(switched_off)}
        ]
    groups = list(ClassGroup.objects.for_school(school).filter(pk__in=class_group_ids))
    if audience == Announcement.Audience.CLASS_GROUPS:
        if not class_group_ids:
            errors["class_groups"] = [_("Choose at least one class.")]
        elif len(groups) != len(class_group_ids):
            errors["class_groups"] = [_("Some of the chosen classes do not exist in this school.")]
    elif class_group_ids:
        errors["class_groups"] = [_("Classes are chosen only for an announcement to chosen classes.")]
    guardian_list = None
    if guardian_list_id is not None:
        # Locked: a list being deleted now either sees this announcement or is gone before it is saved.
        guardian_list = (
            GuardianList.objects.for_school(school)
            .select_for_update()
            .filter(pk=_int_or_none(guardian_list_id))
            .first()
        )
    if audience == Announcement.Audience.SAVED_LIST:
        if guardian_list_id is None:
            errors["guardian_list"] = [_("Choose a saved list.")]
        elif guardian_list is None:
            errors["guardian_list"] = [_("This list does not exist in this school.")]
    elif guardian_list_id is not None:
        errors["guardian_list"] = [_("A list is chosen only for an announcement to a saved list.")]
    if scheduled_for is not None and scheduled_for <= timezone.now():
        errors["scheduled_for"] = [_("Choose a time in the future, or leave it empty to publish by hand.")]
    if errors:
        raise MessagingError(
            _("The announcement could not be saved."), code=MessagingErrorCode.INVALID_ANNOUNCEMENT, fields=errors
        )
    announcement = Announcement.objects.create(
        school=school,
        title=title,
        body=body,
        audience=audience,
        channels=channels,
        scheduled_for=scheduled_for,
        guardian_list=guardian_list,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if groups:
        announcement.class_groups.set(groups)
    audit(
        school=school,
        actor=actor,
        action="announcement.created",
        target=announcement,
        changes={
            "audience": audience,
            "channels": channels,
            "class_group_ids": class_group_ids,
            "guardian_list_id": guardian_list.pk if guardian_list else None,
            "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
        },
    )
    return announcement


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def announcement_publish(*, announcement, actor):
    """Publish now: stamp `published_at` and emit `announcement.published` (once: a second press or
    a schedule racing a person finds it published and changes nothing)."""
    locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if locked.published_at is not None:
        raise MessagingError(
            _("This announcement has already been published."), code=MessagingErrorCode.ALREADY_PUBLISHED
        )
    locked.published_at = timezone.now()
    locked.save(update_fields=["published_at"])
    emit(
        school=locked.school,
        event_type=EVENT,
        payload={"announcement_id": locked.pk},
        dedupe_key=published_key(locked.pk),
    )
    audit(
        school=locked.school,
        actor=actor,
        action="announcement.published",
        target=locked,
        changes={"published_at": locked.published_at.isoformat()},
    )
    announcement.published_at = locked.published_at
    return locked


@unscoped(reason="the every-minute schedule finds due announcements in every school")
def publish_due(*, now=None):
    """The every-minute schedule: publish the announcements whose time has come. Returns how many."""
    now = now or timezone.now()
    due = (
        Announcement.objects.filter(published_at__isnull=True, scheduled_for__lte=now)
        .order_by("scheduled_for", "id")
        .values_list("pk", "school_id")[:500]
    )
    published = 0
    for pk, school_id in list(due):
        try:
            with for_school(school_id):
                announcement_publish(announcement=Announcement.objects.get(pk=pk), actor=None)
        except MessagingError:  # published by hand in the meantime
            continue
        published += 1
    return published


# --- Fan-out ---------------------------------------------------------------------------------


def audience_guardian_ids(announcement):
    """The guardians an announcement goes to, each once, in id order."""
    school = announcement.school
    A = Announcement.Audience
    if announcement.audience == A.SAVED_LIST:
        # The list as it is now, not as it was when the announcement was written (staff may still
        # tidy it before the scheduled time). It cannot be deleted before this has run (see lists).
        members = Guardian.objects.for_school(school).filter(saved_lists__id=announcement.guardian_list_id)
        return sorted(set(members.values_list("pk", flat=True))) if announcement.guardian_list_id else []
    if announcement.audience == A.CLASS_GROUPS:
        students = (
            Enrollment.objects.for_school(school)
            .filter(
                class_group__in=announcement.class_groups.all(),
                status=Enrollment.Status.ACTIVE,
                student__status=Student.Status.ACTIVE,
            )
            .values("student_id")
        )
    elif announcement.audience == A.OVERDUE_BALANCE:
        # Who owes is fees' to decide; messaging only reads it.
        students = defaulters(school=school).values("student_id")
    else:
        students = Student.objects.for_school(school).filter(status=Student.Status.ACTIVE).values("pk")
    links = StudentGuardian.objects.for_school(school).filter(student_id__in=students)
    return sorted(set(links.values_list("guardian_id", flat=True)))


def fan_out(event):
    """The `announcement.published` handler: one `messaging.requested` per guardian (per chosen
    channel), in one insert. Returns how many requests it made now."""
    school = event.school
    announcement = Announcement.objects.for_school(school).filter(pk=(event.payload or {}).get("announcement_id"))
    announcement = announcement.first()
    if announcement is None:
        return 0
    context = {"title": announcement.title, "message": announcement.body}
    channels = announcement.channels or [None]
    wanted = {
        dedupe_key(announcement_id=announcement.pk, guardian_id=guardian_id, channel=channel): (guardian_id, channel)
        for guardian_id in audience_guardian_ids(announcement)
        for channel in channels
    }
    requests = [
        {
            "template": TemplateType.ANNOUNCEMENT,
            "guardian_ids": [guardian_id],
            "context": context,
            "channel": channel,
            "dedupe_key": key,
            "reason": EVENT,
        }
        for key, (guardian_id, channel) in wanted.items()
    ]
    return request_messages_once(school=school, requests=requests)


# --- Progress --------------------------------------------------------------------------------


def _requests(announcement):
    return OutboxEvent.objects.filter(
        school_id=announcement.school_id,
        event_type="messaging.requested",
        dedupe_key__startswith=f"msg:{_key_prefix(announcement.pk)}",
    )


def announcement_counts(announcement):
    """{"requested", "pending", queued, deferred, sent, delivered, failed, suppressed, "in_flight"}:
    requests made, requests the pipeline has not turned into messages yet, and the messages by status."""
    counts = dict.fromkeys(BUCKETS, 0)
    requests = _requests(announcement)
    requested = requests.count()
    handled = requests.filter(processed_at__isnull=False).count()
    rows = (
        Message.objects.for_school(announcement.school_id)
        .filter(request_event_id__in=requests.values("pk"))
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[COUNT_BUCKETS[row["status"]]] += row["n"]
    counts["requested"] = requested
    counts["pending"] = requested - handled
    counts["in_flight"] = bool(
        (announcement.published_at and not requested and not _fanned_out(announcement))
        or counts["pending"]
        or any(counts[b] for b in IN_FLIGHT)
    )
    return counts


def _fanned_out(announcement):
    return OutboxEvent.objects.filter(
        school_id=announcement.school_id, dedupe_key=published_key(announcement.pk), processed_at__isnull=False
    ).exists()


def announcement_messages(announcement):
    return Message.objects.for_school(announcement.school_id).filter(
        request_event_id__in=_requests(announcement).values("pk")
    )
