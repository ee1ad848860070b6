"""Money against invoices: allocations of payments and credit, the family credit ledger, and the running
totals of what is owed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped

from .invoices import Invoice


class Allocation(SchoolScoped):
    """Money put on (or taken off) an invoice. From a confirmed payment: one per transaction, so a
    redelivered `payment.confirmed` can never apply the same money twice. From the family's credit:
    one per credit entry, the entry's mirror image. The allocations of an invoice add up to its paid."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    transaction_id = models.BigIntegerField(unique=True, null=True, blank=True)
    credit_entry = models.OneToOneField(
        "CreditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="allocation"
    )
    amount_minor = models.BigIntegerField()  # negative for a reversal's allocation
    credit_minor = models.BigIntegerField(default=0)  # what exceeded the balance (carried as family credit)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(transaction_id__isnull=False, credit_entry__isnull=True)
                | Q(transaction_id__isnull=True, credit_entry__isnull=False),
                name="allocation_from_payment_or_credit",
            ),
        ]

    def __str__(self):
        return f"{self.amount_minor} on {self.invoice_id}"


class CreditEntry(SchoolScoped):
    """The family credit ledger: money the school holds for a family beyond what its invoices ask.
    The family is the student's primary guardian (the student alone when there is none); the balance
    is the sum of the family's entries. `source_key` makes every entry happen once."""

    class Kind(models.TextChoices):
        OVERPAYMENT = "overpayment", _("Overpayment")
        APPLIED = "applied", _("Applied to an invoice")
        REVERSAL = "reversal", _("Payment reversed")
        ADJUSTMENT = "adjustment", _("Adjustment")

    guardian = models.ForeignKey("schools.Guardian", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey("schools.Student", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount_minor = models.BigIntegerField()  # + the school holds more for the family, - less
    source_key = models.CharField(max_length=120)
    note = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("credit entries")
        constraints = [
            models.UniqueConstraint(fields=["school", "source_key"], name="credit_entry_unique_source"),
            models.CheckConstraint(condition=~Q(amount_minor=0), name="credit_entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["school", "guardian", "created_at"], name="credit_guardian_idx"),
            models.Index(
                fields=["school", "student", "created_at"],
                condition=Q(guardian__isnull=True),
                name="credit_student_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_minor}"


class OwingDelta(SchoolScoped):
    """Running totals of what is owed, for the defaulters' totals per class without aggregating
    every open invoice on each view.

    Rows are written only by PostgreSQL statement triggers on `fees_invoice` (migration 0010): each
    statement that changes what invoices owe appends the change per (term, class, due date), so
    writers never wait on each other. The sum of the rows of a key is what that key owes; a
    scheduled compaction folds them to one row per key. On SQLite (the quick start) there are no
    triggers and the totals are aggregated from the invoices instead."""

    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="+")
    class_group = models.ForeignKey("schools.ClassGroup", null=True, on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField(null=True)
    invoices = models.IntegerField()
    outstanding_minor = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["school", "due_date"], name="owing_delta_due_idx")]

    def __str__(self):
        return f"{self.invoices:+d} invoices, {self.outstanding_minor:+d} owed"
