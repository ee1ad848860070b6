"""What comes off an invoice: sibling discounts, scholarships and waivers (awards), and the discount lines
they become."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from classpoint.money import format_money
from schools.models import SchoolScoped

from .invoices import Invoice
from .pricing import FeeItem


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
        SCHOLARSHIP = "scholarship", _("Scholarship")
        WAIVER = "waiver", _("Waiver")

    class Mode(models.TextChoices):
        PERCENT = "percent", _("Percentage")
        FIXED = "fixed", _("Fixed amount")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

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
