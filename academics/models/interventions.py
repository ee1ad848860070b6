"""Interventions for truancy, after California's Education Code 48260–48263 by default: letters to
the family at each threshold crossed (letter 1: truant, letter 2: truant again, letter 3: habitual
truant) and a SARB (School Attendance Review Board) referral case with its meetings.

An intervention exists at most once per pupil, school year and kind (the database refuses a second
one that is not cancelled), so the daily scan can run as often as it likes. Letters keep what was
sent: the text as rendered and the PDF.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schools.models import SchoolScoped


class Intervention(SchoolScoped):
    class Kind(models.TextChoices):
        LETTER_1 = "letter_1", _("Truancy letter 1")
        LETTER_2 = "letter_2", _("Truancy letter 2")
        LETTER_3 = "letter_3", _("Truancy letter 3 (habitual truant)")
        SARB_REFERRAL = "sarb_referral", _("SARB referral")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="interventions")
    session = models.ForeignKey("schools.AcademicSession", on_delete=models.PROTECT, related_name="interventions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    # The day the threshold was crossed and the school days counted towards it (ISO dates).
    crossed_on = models.DateField()
    counted_days = models.JSONField(default=list)
    # What the family was sent, kept as sent (the school's wording may change later).
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(blank=True, default="")
    pdf = models.FileField(upload_to="interventions/%Y/%m/", blank=True, default="")
    # A SARB case's outcome (the board's directions, a contract with the family…).
    outcome = models.TextField(blank=True, default="")
    note = models.CharField(max_length=300, blank=True, default="")  # why it was cancelled or closed
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "session", "kind"],
                condition=~Q(state="cancelled"),
                name="intervention_once_per_threshold",
            ),
        ]
        indexes = [models.Index(fields=["school", "state", "kind"], name="intervention_state_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.student_id} ({self.state})"


class InterventionMeeting(SchoolScoped):
    """A meeting of a SARB case (or about a letter): when, who came, what was agreed."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    attendees = models.TextField()  # one per line: "Mrs Bello (mother)", "Mr Okafor (attendance officer)"
    notes = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self):
        return f"meeting {self.held_on} on intervention {self.intervention_id}"


class LetterTemplate(SchoolScoped):
    """The school's wording of a truancy letter (the law's wording is the default until it edits it).
    Placeholders: {student_name}, {guardian_name}, {school_name}, {class_name}, {days_count},
    {days_list}, {date}, {officer_name}."""

    kind = models.CharField(
        max_length=16,
        choices=[(k, label) for k, label in Intervention.Kind.choices if k != Intervention.Kind.SARB_REFERRAL],
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["school", "kind"], name="letter_template_one_per_kind")]

    def __str__(self):
        return f"{self.kind} template"
