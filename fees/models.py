"""Fee set-up and invoices. Money is integer minor units (kobo) with the school's currency."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property

from classpoint.money import format_amount, format_money
from schools.models import SchoolScoped


class FeeItem(SchoolScoped):
    class Category(models.TextChoices):
        TUITION = "tuition", "Tuition"
        BOARDING = "boarding", "Boarding"
        TRANSPORT = "transport", "Transport"
        UNIFORM = "uniform", "Uniform"
        BOOKS = "books", "Books"
        EXAM = "exam", "Exam"
        OTHER = "other", "Other"

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.TUITION)
    default_amount_minor = models.PositiveBigIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="feeitem_unique_code")]

    def __str__(self):
        return self.name


class FeeSchedule(SchoolScoped):
    """What a term costs for one class group, or for every class of a level."""

    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT, related_name="fee_schedules")
    class_group = models.ForeignKey(
        "schools.ClassGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="fee_schedules"
    )
    level = models.CharField(max_length=40, blank=True, default="")
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["term_id", "level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(class_group__isnull=False) & Q(level="")) | (Q(class_group__isnull=True) & ~Q(level="")),
                name="schedule_for_class_or_level",
            ),
            models.UniqueConstraint(
                fields=["term", "class_group"], condition=Q(class_group__isnull=False), name="one_schedule_per_class"
            ),
            models.UniqueConstraint(fields=["term", "level"], condition=~Q(level=""), name="one_schedule_per_level"),
        ]

    def __str__(self):
        return self.name


class FeeScheduleLine(SchoolScoped):
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="lines")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.PositiveBigIntegerField()
    optional = models.BooleanField(default=False)
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["schedule", "fee_item"], name="schedule_line_unique_item")]

    def __str__(self):
        return f"{self.fee_item} {self.amount_minor}"


class Invoice(SchoolScoped):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PARTIALLY_PAID = "partially_paid", "Partly paid"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

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
        from .credit import credit_balance_for_student

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


class InvoiceBatch(SchoolScoped):
    """Bulk invoicing of a term for a class group or the whole school, run in the background."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

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
        verbose_name_plural = "invoice batches"

    def __str__(self):
        return f"Invoice batch {self.pk}"

    @property
    def is_done(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self):
        return 100 if self.is_done else (min(99, self.done * 100 // self.total) if self.total else 0)


class SiblingDiscount(SchoolScoped):
    """Tuition discount for the 2nd, 3rd… child of one family (children ordered eldest first; the
    highest rule at or below a child's position applies)."""

    child_position = models.PositiveSmallIntegerField()  # 2 = second child, 3 = third and later…
    percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["child_position"]
        constraints = [
            models.UniqueConstraint(fields=["school", "child_position"], name="sibling_discount_unique_position"),
            models.CheckConstraint(condition=Q(child_position__gte=2), name="sibling_discount_from_second_child"),
            models.CheckConstraint(condition=Q(percent__gt=0) & Q(percent__lte=100), name="sibling_discount_percent"),
        ]

    def __str__(self):
        return f"{self.percent}% from child {self.child_position}"


class InvoiceDiscount(SchoolScoped):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="discounts")
    kind = models.CharField(max_length=20, default="sibling")  # sibling, scholarship, waiver
    description = models.CharField(max_length=200)
    amount_minor = models.BigIntegerField()
    award = models.ForeignKey(
        "StudentAward", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.description


class StudentAward(SchoolScoped):
    """A scholarship or waiver for one student in one term. A bursar requests it; someone else with
    `fees.approve_awards` approves it (four eyes). Approved awards become InvoiceDiscount rows, after
    the sibling discount (fees.discounts holds the rule)."""

    class Kind(models.TextChoices):
        SCHOLARSHIP = "scholarship", "Scholarship"
        WAIVER = "waiver", "Waiver"

    class Mode(models.TextChoices):
        PERCENT = "percent", "Percentage"
        FIXED = "fixed", "Fixed amount"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"

    student = models.ForeignKey("schools.Student", on_delete=models.PROTECT, related_name="fee_awards")
    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SCHOLARSHIP)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.PERCENT)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    # Blank: the whole invoice; else only the lines of that fee category (e.g. tuition).
    fee_category = models.CharField(max_length=20, choices=FeeItem.Category.choices, blank=True, default="")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whoever decided: approved or rejected it (never the requester when approving).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="percent", percent__gt=0, percent__lte=100, amount_minor__isnull=True)
                | Q(mode="fixed", amount_minor__gt=0, percent__isnull=True),
                name="award_percent_or_fixed",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "status", "created_at"], name="award_status_idx"),
            models.Index(fields=["school", "student", "term"], name="award_student_term_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.student_id} ({self.get_status_display().lower()})"

    @property
    def describe(self):
        """ "50% of tuition", "₦20,000.00 off the invoice"."""
        base = dict(FeeItem.Category.choices).get(self.fee_category, "").lower() or "the invoice"
        if self.mode == self.Mode.PERCENT:
            percent = f"{self.percent:f}".rstrip("0").rstrip(".")
            return f"{percent}% of {base}"
        return f"{format_money(self.amount_minor, self.school.currency)} off {base}"


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


class CreditEntry(SchoolScoped):
    """The family credit ledger: money the school holds for a family beyond what its invoices ask.
    The family is the student's primary guardian (the student alone when there is none); the balance
    is the sum of the family's entries. `source_key` makes every entry happen once."""

    class Kind(models.TextChoices):
        OVERPAYMENT = "overpayment", "Overpayment"
        APPLIED = "applied", "Applied to an invoice"
        REVERSAL = "reversal", "Payment reversed"
        ADJUSTMENT = "adjustment", "Adjustment"

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
        verbose_name_plural = "credit entries"
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
