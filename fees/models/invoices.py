"""Invoices, their lines and instalment plans, and the background batches that issue them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from classpoint.money import format_amount
from schools.models import SchoolScoped

from .pricing import FeeItem


class Invoice(SchoolScoped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partially_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    # Numbered when issued (drafts have none), from a per-school gapless counter.
    number = models.CharField(max_length=40, null=True, blank=True)
    student = models.ForeignKey("schools.Student", on_delete=models.PROTECT, related_name="invoices")
    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT, related_name="invoices")
    class_group = models.ForeignKey(
        "schools.ClassGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    subtotal_minor = models.BigIntegerField(default=0)
    discount_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    is_overdue = models.BooleanField(default=False)
    # The last school-local day an `invoice.overdue` reminder went out: the scan spaces them.
    overdue_reminded_on = models.DateField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "number"], condition=Q(number__isnull=False), name="invoice_unique_number"
            ),
            # One live invoice per student per term: bulk invoicing can be re-run safely.
            models.UniqueConstraint(
                fields=["student", "term"], condition=~Q(status="void"), name="one_live_invoice_per_term"
            ),
            models.CheckConstraint(condition=Q(paid_minor__gte=0), name="invoice_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(total_minor=F("subtotal_minor") - F("discount_minor")), name="invoice_total_adds_up"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "term", "class_group", "status"], name="invoice_term_class_idx"),
            models.Index(fields=["school", "status", "due_date"], name="invoice_status_due_idx"),
            # Defaulters and the overdue scan read open, unpaid invoices in due-date order: with the
            # balance test in the predicate, skipping to a deep page needs no heap visit per row.
            models.Index(
                fields=["school", "due_date", "id"],
                condition=Q(status__in=["issued", "partially_paid"]) & Q(total_minor__gt=F("paid_minor")),
                name="invoice_owing_due_idx",
            ),
        ]

    def __str__(self):
        return self.number or f"Draft invoice {self.pk}"

    @property
    def is_payable(self):
        """Whether money may be recorded against it, by any route (the one rule: services check it
        under the invoice's row lock). A paid invoice still is: the excess becomes family credit. A
        draft was never sent and a void one is cancelled."""
        return self.status in (self.Status.ISSUED, self.Status.PARTIALLY_PAID, self.Status.PAID)

    @property
    def has_balance_to_pay(self):
        """Whether the family is asked to pay it: payable and not yet settled. What pay links,
        transfer proofs and reminders are offered for."""
        return self.is_payable and self.balance_minor > 0

    @property
    def balance_minor(self):
        return self.total_minor - self.paid_minor

    @cached_property
    def family_credit_minor(self):
        """Credit the student's family holds (one query, for the invoice page)."""
        from ..credit import credit_balance_for_student

        return credit_balance_for_student(self.student)

    @cached_property
    def award_discounts(self):
        """The scholarships and waivers on this invoice, with who approved them."""
        return list(self.discounts.filter(award__isnull=False).select_related("award__approved_by", "award__school"))


class InvoiceLine(SchoolScoped):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    fee_item = models.ForeignKey(FeeItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    amount_minor = models.BigIntegerField()
    optional = models.BooleanField(default=False)
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.description} {self.amount_minor}"


class InvoiceBatch(SchoolScoped):
    """Bulk invoicing of a term for a class group or the whole school, run in the background."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT, related_name="+")
    class_group = models.ForeignKey(
        "schools.ClassGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("invoice batches")

    def __str__(self):
        return f"Invoice batch {self.pk}"

    @property
    def is_done(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self):
        return 100 if self.is_done else (min(99, self.done * 100 // self.total) if self.total else 0)


class InvoiceInstalment(SchoolScoped):
    """One dated part of an invoice's instalment plan. Payments fill instalments oldest first, so
    what each has paid follows from the invoice's paid amount (fees.instalments keeps them in step)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount_minor = models.BigIntegerField()
    paid_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["invoice_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "sequence"], name="instalment_unique_sequence"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid_minor__gte=0) & Q(paid_minor__lte=F("amount_minor")),
                name="instalment_paid_within_amount",
            ),
        ]

    def __str__(self):
        return f"Instalment {self.sequence} of {self.invoice_id}"

    @property
    def balance_minor(self):
        return self.amount_minor - self.paid_minor

    @property
    def amount_input(self):
        """The amount as typed in a form, in major units ("1500.00")."""
        return format_amount(self.amount_minor, grouped=False)
