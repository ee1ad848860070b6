"""A school's people: staff, students and guardians, and which guardian belongs to which student."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models import Value as V
from django.db.models.functions import Concat, Lower
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from .tenancy import SchoolScoped


class StaffProfile(SchoolScoped):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_profiles"
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    title = models.CharField(max_length=80, blank=True, default="")  # "Mathematics teacher"
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")
    is_teacher = models.BooleanField(default=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user"], condition=Q(user__isnull=False), name="staff_one_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Student(SchoolScoped):
    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    class Status(models.TextChoices):
        # Admitted: an approved applicant with an admission number and an invoice, not yet enrolled.
        ADMITTED = "admitted", _("Admitted")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        GRADUATED = "graduated", _("Graduated")

    admission_number = models.CharField(max_length=40)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    other_names = models.CharField(max_length=120, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Set when the pupil leaves (withdrawn or graduated), cleared on re-admission; the reason is the
    # school's words ("Relocated to Abuja"), kept on the record and in the audit log.
    left_on = models.DateField(null=True, blank=True)
    leaving_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Lower-cased names + admission number, computed by the database (so bulk inserts and imports
    # keep it right) and trigram-indexed on PostgreSQL: the students search reads only this.
    search_text = models.GeneratedField(
        expression=Lower(Concat("first_name", V(" "), "other_names", V(" "), "last_name", V(" "), "admission_number")),
        output_field=models.CharField(max_length=400),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["school", "admission_number"], name="student_unique_admission_number"),
        ]
        indexes = [
            models.Index(fields=["school", "last_name", "first_name", "id"], name="student_name_idx"),
            models.Index(fields=["school", "status", "last_name", "first_name", "id"], name="student_status_idx"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.other_names, self.last_name) if p)


class Guardian(SchoolScoped):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("Email")

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    relationship = models.CharField(max_length=40, blank=True, default="")  # "Mother", "Uncle"
    phone = models.CharField(max_length=20, blank=True, default="", help_text=_("E.164, e.g. +2348031234567"))
    email = models.EmailField(blank=True, default="")
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    # A language code from settings.LANGUAGES ("es"); empty means the school's default language.
    # Messages use the template in this language when the school has one.
    preferred_language = models.CharField(max_length=8, blank=True, default="")
    # What the guardian agreed to receive; messaging checks these before every send.
    consent_sms = models.BooleanField(default=False)
    consent_whatsapp = models.BooleanField(default=False)
    consent_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["school", "phone"], name="guardian_phone_idx"),
            models.Index(fields=["school", "email"], name="guardian_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(phone="") | ~Q(email=""), name="guardian_has_contact"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class StudentGuardian(SchoolScoped):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "guardian"], name="student_guardian_unique"),
            models.UniqueConstraint(fields=["student"], condition=Q(is_primary=True), name="one_primary_guardian"),
        ]

    def __str__(self):
        return f"{self.guardian_id} -> {self.student_id}"
