"""Money coming in: intents at a gateway, the webhooks that report them, confirmed transactions and
their receipts. Uniqueness constraints are the last word on "never credit twice"."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class PaymentIntent(SchoolScoped):
    class Status(models.TextChoices):
        INITIATED = "initiated", _("Initiated")
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ABANDONED = "abandoned", _("Abandoned")

    invoice = models.ForeignKey("fees.Invoice", on_delete=models.PROTECT, related_name="payment_intents")
    gateway = models.CharField(max_length=20)
    reference = models.CharField(max_length=64, unique=True)  # ours, sent to the gateway
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INITIATED)
    checkout_url = models.URLField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The abandonment sweep reads pending intents oldest first across schools.
        indexes = [models.Index(fields=["status", "created_at"], name="intent_status_age_idx")]

    def __str__(self):
        return self.reference


class WebhookEvent(models.Model):
    """Every correctly signed delivery, once: a replay hits the unique constraint and is dropped.
    What processing made of it stays on the row, so an event that credited nothing says why."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FLAGGED = "flagged", _("Flagged for review")

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=128)
    reference = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    problem = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_unique_event")]

    def __str__(self):
        return f"{self.gateway}:{self.event_id}"


class PaymentTransaction(SchoolScoped):
    class Kind(models.TextChoices):
        GATEWAY = "gateway", _("Online")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        POS = "pos", _("POS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        REVERSED = "reversed", _("Reversed")
        FLAGGED = "flagged", _("Flagged for review")
        # A flagged payment a bursar decided not to credit (the payer is refunded outside Classpoint).
        CLOSED = "closed", _("Closed, not credited")

    invoice = models.ForeignKey("fees.Invoice", on_delete=models.PROTECT, related_name="transactions")
    intent = models.ForeignKey(PaymentIntent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    gateway = models.CharField(max_length=20, blank=True, default="")
    # The gateway's (or the POS slip's) reference: one transaction per reference per gateway in a school.
    provider_reference = models.CharField(max_length=128, null=True, blank=True)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices)
    note = models.CharField(max_length=300, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)  # the dashboard's revenue nets reversals by this day
    # How a flagged payment left review (accepted: now confirmed; or closed): who, when, and their
    # note; `note` keeps why it was flagged.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # An outside reference (a POS slip, a gateway's charge id) is one payment per school; the
            # same printed slip number in another school is that school's own payment.
            models.UniqueConstraint(
                fields=["school", "gateway", "provider_reference"],
                condition=Q(provider_reference__isnull=False),
                name="transaction_unique_school_reference",
            ),
            # A pay link is credited at most once, whatever the gateway sends; a reversed credit still
            # counts, so a late event cannot credit a refunded payment again.
            models.UniqueConstraint(
                fields=["intent"],
                condition=Q(intent__isnull=False, status__in=["confirmed", "reversed"]),
                name="transaction_one_credit_per_intent",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "status", "-created_at"], name="transaction_status_idx"),
            # The payments list, newest first (unfiltered, its default order).
            models.Index(fields=["school", "-created_at", "-id"], name="transaction_recent_idx"),
            models.Index(
                fields=["school", "reversed_at"],
                condition=Q(reversed_at__isnull=False),
                name="transaction_reversed_idx",
            ),
            # The flagged queue's "resolved" tabs, newest decision first.
            models.Index(
                fields=["school", "-resolved_at"],
                condition=Q(resolved_at__isnull=False),
                name="transaction_resolved_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_minor} {self.currency}"


class Receipt(SchoolScoped):
    transaction = models.OneToOneField(PaymentTransaction, on_delete=models.PROTECT, related_name="receipt")
    number = models.CharField(max_length=40)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField(default=timezone.now)
    is_void = models.BooleanField(default=False)
    # The rendered PDF in Django storage (empty until rendered); read only through expiring links.
    pdf_key = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["school", "number"], name="receipt_unique_number")]
        # The receipts list, newest first.
        indexes = [models.Index(fields=["school", "-issued_at", "-id"], name="receipt_recent_idx")]

    def __str__(self):
        return self.number


class PaymentProof(SchoolScoped):
    """A bank-transfer proof: the uploaded slip and what the payer says they paid. Submitting it
    opens a PENDING transaction that credits nothing until a bursar approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        GUARDIAN = "guardian", _("Guardian link")
        API = "api", _("API")

    invoice = models.ForeignKey("fees.Invoice", on_delete=models.PROTECT, related_name="proofs")
    transaction = models.OneToOneField(PaymentTransaction, on_delete=models.PROTECT, related_name="proof")
    guardian = models.ForeignKey("schools.Guardian", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_key = models.CharField(max_length=500)
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveIntegerField()
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    bank_reference = models.CharField(max_length=128, blank=True, default="")
    paid_on = models.DateField()
    payer_name = models.CharField(max_length=120, blank=True, default="")
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reject_reason = models.CharField(max_length=300, blank=True, default="")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One upload backs one proof: a resubmitted form cannot open a second pending payment.
            models.UniqueConstraint(fields=["school", "file_key"], name="proof_unique_file"),
        ]
        indexes = [models.Index(fields=["school", "status", "created_at"], name="proof_queue_idx")]

    def __str__(self):
        return f"Proof {self.pk} for {self.invoice_id}"
