"""Messages to guardians: per-school templates, the provider each channel uses, every message ever
asked for (sent, deferred or suppressed) with its status history, and consent changes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from classpoint.messages import TemplateType  # the request contract's types, named once
from schools.models import SchoolScoped


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"


class MessageTemplate(SchoolScoped):
    type = models.CharField(max_length=40, choices=TemplateType.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # A code from settings.LANGUAGES: each language's version of a message is a template of its own,
    # chosen by the guardian's language, else the request's, else the school's, else English.
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=200, blank=True, default="")  # email only
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["type", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "type", "channel", "language"], name="template_unique_type_channel_language"
            )
        ]

    def __str__(self):
        return f"{self.type} ({self.channel}, {self.language})"


class ProviderConfig(SchoolScoped):
    """Which provider a school's channel sends through: a reference to a secret
    (`classpoint/{env}/providers/<secret_key>`, e.g. {"type": "twilio", ...}), never the secret."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    secret_key = models.SlugField(max_length=80, help_text="The key of classpoint/{env}/providers/<key>.")
    is_active = models.BooleanField(default=True)
    # Sends per minute on this channel for this school (providers throttle; a campaign must not trip them).
    rate_per_minute = models.PositiveIntegerField(default=600)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "channel"], name="provider_config_unique_channel")]

    def __str__(self):
        return f"{self.channel} via {self.secret_key}"


class Message(SchoolScoped):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DEFERRED = "deferred", "Deferred (quiet hours)"
        SUPPRESSED = "suppressed", "Suppressed"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        READ = "read", "Read"

    guardian = models.ForeignKey(
        "schools.Guardian", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    student = models.ForeignKey(
        "schools.Student", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    template_type = models.CharField(max_length=40, choices=TemplateType.choices)
    to_address = models.CharField(max_length=254)  # E.164 number or email, as it was when asked
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    status_reason = models.CharField(max_length=300, blank=True, default="")
    urgent = models.BooleanField(default=False)
    # One message per (request, recipient, channel): a redelivered request finds it and stops.
    idempotency_key = models.CharField(max_length=200)
    request_event_id = models.BigIntegerField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True, default="")
    provider_message_id = models.CharField(max_length=100, null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    send_after = models.DateTimeField(null=True, blank=True)  # deferred until (end of quiet hours)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "idempotency_key"], name="message_unique_idempotency_key"),
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_unique_provider_id",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "-created_at", "-id"], name="message_school_recent_idx"),
            models.Index(fields=["school", "status", "-created_at"], name="message_status_idx"),
            models.Index(fields=["guardian", "-created_at"], name="message_guardian_idx"),
            # The deferred sweep reads what is due, across schools.
            models.Index(fields=["send_after"], condition=Q(status="deferred"), name="message_deferred_due_idx"),
        ]

    def __str__(self):
        return f"{self.template_type} to {self.to_address} ({self.status})"

    # Statuses whose reason only restates them ("Delivered (log)."): the badge says it already.
    SELF_EXPLAINED = frozenset({Status.SENDING, Status.SENT, Status.DELIVERED, Status.READ})
    WENT_WRONG = frozenset({Status.FAILED, Status.UNDELIVERED})

    @property
    def status_note(self):
        """The reason worth showing beside the status: why it is held, refused or failed (or whose
        retry it is), never a repeat of a success."""
        return "" if self.status in self.SELF_EXPLAINED else self.status_reason

    @property
    def went_wrong(self):
        return self.status in self.WENT_WRONG


class MessageWithdrawal(SchoolScoped):
    """A request the asking app took back (`messaging.withdrawn`), kept by the request's outbox key
    so that a request handled after its withdrawal (the outbox may deliver them in either order)
    finds it and sends nothing."""

    request_key = models.CharField(max_length=200)  # the messaging.requested event's dedupe key
    reason = models.CharField(max_length=300, blank=True, default="")
    event_id = models.BigIntegerField(null=True, blank=True)  # the messaging.withdrawn event
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["school", "request_key"], name="message_withdrawal_unique_key")]

    def __str__(self):
        return f"withdrawn {self.request_key}"


class MessageStatusChange(SchoolScoped):
    """The history of a message's status (forward only: see messaging.status)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=12, choices=Message.Status.choices)
    note = models.CharField(max_length=300, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.status} at {self.at}"


class ConsentChange(SchoolScoped):
    """Every change to what a guardian agreed to receive; the current state is on the guardian
    (consent_sms / consent_whatsapp / consent_email)."""

    class Source(models.TextChoices):
        FORM = "form", "Form"
        IMPORT = "import", "Import"
        STAFF = "staff", "Staff"
        KEYWORD = "keyword", "Reply keyword"
        LINK = "link", "Link in a message"
        BOUNCE = "bounce", "Email bounce or complaint"

    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE, related_name="consent_changes")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.CharField(max_length=300, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["guardian", "-created_at"], name="consent_guardian_idx")]

    def __str__(self):
        return f"{self.channel} {'granted' if self.granted else 'withdrawn'} ({self.source})"


class GuardianList(SchoolScoped):
    """Guardians chosen by hand (a committee, the bus families, a trip's parents) that an announcement
    can go to. Membership is read when the announcement goes out, not when it is written."""

    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, default="")
    guardians = models.ManyToManyField("schools.Guardian", blank=True, related_name="saved_lists")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # "Bus families" and "bus families" would be two lists nobody can tell apart in a picker.
            models.UniqueConstraint(Lower("name"), "school", name="guardian_list_unique_name"),
        ]
        indexes = [models.Index(fields=["school", "name"], name="guardian_list_school_name_idx")]

    def __str__(self):
        return self.name


class Announcement(SchoolScoped):
    """A message to many families at once. Publishing (now, or when `scheduled_for` comes) emits
    `announcement.published`; its fan-out asks for one message per guardian, keyed by
    `announcement:<id>:<guardian id>`, which is also how its messages are found for the counts."""

    class Audience(models.TextChoices):
        WHOLE_SCHOOL = "whole_school", "Whole school"
        CLASS_GROUPS = "class_groups", "Chosen classes"
        OVERDUE_BALANCE = "overdue_balance", "Families with an overdue balance"
        SAVED_LIST = "saved_list", "A saved list"

    title = models.CharField(max_length=120)
    body = models.TextField()
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.WHOLE_SCHOOL)
    class_groups = models.ManyToManyField("schools.ClassGroup", blank=True, related_name="+")
    # SET_NULL, not PROTECT: a list may be deleted once its announcements went out (lists.guardian_list_delete
    # refuses before that), and a sent announcement keeps its record with the list gone.
    guardian_list = models.ForeignKey(
        GuardianList, null=True, blank=True, on_delete=models.SET_NULL, related_name="announcements"
    )
    # Empty: each guardian's own channel (preference, then consent fallback).
    channels = models.JSONField(default=list, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["school", "-created_at", "-id"], name="announcement_recent_idx"),
            # The per-minute publisher reads what is due, across schools.
            models.Index(fields=["scheduled_for"], condition=Q(published_at__isnull=True), name="announcement_due_idx"),
        ]

    def __str__(self):
        return self.title
