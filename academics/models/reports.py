"""Report cards: a pupil's term as published, the comments on it, and the bank comments are picked from.

The card's figures are computed from the scores whenever it is shown (academics/results/compute.py);
the row records the comments and the publishing: when, by whom, which revision, and a digest of the
figures then, so re-publishing tells a family "updated" only when their child's card changed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class ReportCard(SchoolScoped):
    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE, related_name="report_cards")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="report_cards")
    class_group = models.ForeignKey("schools.ClassGroup", on_delete=models.CASCADE, related_name="report_cards")
    form_teacher_comment = models.CharField(max_length=500, blank=True, default="")
    head_comment = models.CharField(max_length=500, blank=True, default="")
    comments_updated_at = models.DateTimeField(null=True, blank=True)
    # Publishing: revision 0 was never published; each publish that changed the card adds one.
    revision = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64, blank=True, default="")
    first_published_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Published although scores were missing: why (kept with the card).
    forced_reason = models.CharField(max_length=200, blank=True, default="")
    # Held back while the family owed more than the school's threshold when it was published.
    withheld = models.BooleanField(default=False)

    class Meta:
        ordering = ["term_id", "class_group_id", "student_id"]
        constraints = [models.UniqueConstraint(fields=["term", "student"], name="report_card_one_per_term")]
        indexes = [models.Index(fields=["school", "term", "class_group"], name="report_card_class_idx")]

    def __str__(self):
        return f"report card of {self.student_id} for term {self.term_id}"

    @property
    def is_published(self):
        return self.published_at is not None


class CommentBank(SchoolScoped):
    """Comments a form teacher or the head picks for a report card (then edits if they like)."""

    class Kind(models.TextChoices):
        FORM_TEACHER = "form_teacher", _("Form teacher")
        HEAD = "head", _("Head")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["school", "kind", "text"], name="comment_bank_unique_text")]

    def __str__(self):
        return self.text[:60]
