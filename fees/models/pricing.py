"""What a school charges: its fee items and each term's fee schedules."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class FeeItem(SchoolScoped):
    class Category(models.TextChoices):
        TUITION = "tuition", _("Tuition")
        BOARDING = "boarding", _("Boarding")
        TRANSPORT = "transport", _("Transport")
        UNIFORM = "uniform", _("Uniform")
        BOOKS = "books", _("Books")
        EXAM = "exam", _("Exam")
        OTHER = "other", _("Other")

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
