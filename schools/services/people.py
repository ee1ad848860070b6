"""Students, guardians (and their links to students) and staff."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import Guardian, StaffProfile, Student, StudentGuardian
from ..phones import normalize_phone
from ._base import field_changes

STUDENT_FIELDS = ("admission_number", "first_name", "last_name", "other_names", "date_of_birth", "gender", "status")
GUARDIAN_FIELDS = (
    "first_name",
    "last_name",
    "relationship",
    "phone",
    "email",
    "preferred_channel",
    "preferred_language",
)


def _check_born(school, data):
    born = data.get("date_of_birth")
    if isinstance(born, datetime.date) and born > school.local_today():
        raise SchoolsError(
            _("Some fields are invalid."),
            code=SchoolsErrorCode.SCHOOLS_INVALID,
            fields={"date_of_birth": [_("A date of birth cannot be after today.")]},
        )


def _full_clean(instance, exclude=("school",)):
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        raise SchoolsError(
            _("Some fields are invalid."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields=exc.message_dict
        ) from exc


@transaction.atomic
def student_create(*, school, actor, **data):
    data = {k: v for k, v in data.items() if k in STUDENT_FIELDS}
    _check_born(school, data)
    if school.students.filter(admission_number=data.get("admission_number")).exists():
        raise SchoolsError(
            _("Admission number in use."),
            code=SchoolsErrorCode.DUPLICATE_ADMISSION_NUMBER,
            fields={"admission_number": [_("Another student already has this admission number.")]},
        )
    student = Student(school=school, **data)
    _full_clean(student)
    student.save()
    audit(school=school, actor=actor, action="student.created", target=student, changes={"fields": list(data)})
    return student


@transaction.atomic
def student_update(*, student, actor, **data):
    data = {k: v for k, v in data.items() if k in STUDENT_FIELDS}
    _check_born(student.school, data)
    number = data.get("admission_number")
    if number and number != student.admission_number:
        if student.school.students.filter(admission_number=number).exclude(pk=student.pk).exists():
            raise SchoolsError(
                _("Admission number in use."),
                code=SchoolsErrorCode.DUPLICATE_ADMISSION_NUMBER,
                fields={"admission_number": [_("Another student already has this admission number.")]},
            )
    changes = field_changes(student, data, STUDENT_FIELDS)
    for key, value in data.items():
        setattr(student, key, value)
    _full_clean(student)
    student.save()
    if changes:
        audit(school=student.school, actor=actor, action="student.updated", target=student, changes=changes)
    return student


def _clean_guardian(school, data):
    if "phone" in data:
        try:
            data["phone"] = normalize_phone(data["phone"], school.country)
        except ValueError as exc:
            raise SchoolsError(
                _("Some fields are invalid."), code=SchoolsErrorCode.INVALID_PHONE, fields={"phone": [str(exc)]}
            ) from exc
    if "email" in data:
        data["email"] = (data["email"] or "").strip().lower()
    if "preferred_language" in data:
        data["preferred_language"] = (data["preferred_language"] or "").strip()
        languages = dict(settings.LANGUAGES)
        if data["preferred_language"] and data["preferred_language"] not in languages:
            raise SchoolsError(
                _("Some fields are invalid."),
                code=SchoolsErrorCode.SCHOOLS_INVALID,
                fields={
                    "preferred_language": [
                        _("Choose one of %(languages)s, or the school's.")
                        % {"languages": ", ".join(languages.values())}
                    ]
                },
            )
    return data


@transaction.atomic
def guardian_create(*, school, actor, student=None, is_primary=False, **data):
    data = _clean_guardian(school, {k: v for k, v in data.items() if k in GUARDIAN_FIELDS})
    if not data.get("phone") and not data.get("email"):
        raise SchoolsError(
            _("A guardian needs a way to be reached."),
            code=SchoolsErrorCode.CONTACT_REQUIRED,
            fields={"phone": [_("Give a phone number or an email address.")]},
        )
    guardian = Guardian(school=school, **data)
    _full_clean(guardian)
    guardian.save()
    audit(school=school, actor=actor, action="guardian.created", target=guardian)
    if student is not None:
        guardian_link(student=student, guardian=guardian, is_primary=is_primary, actor=actor)
    return guardian


@transaction.atomic
def guardian_update(*, guardian, actor, **data):
    data = _clean_guardian(guardian.school, {k: v for k, v in data.items() if k in GUARDIAN_FIELDS})
    changes = field_changes(guardian, data, GUARDIAN_FIELDS)
    for key, value in data.items():
        setattr(guardian, key, value)
    if not guardian.phone and not guardian.email:
        raise SchoolsError(
            _("A guardian needs a way to be reached."),
            code=SchoolsErrorCode.CONTACT_REQUIRED,
            fields={"phone": [_("Give a phone or an email.")]},
        )
    _full_clean(guardian)
    guardian.save()
    if changes:
        audit(school=guardian.school, actor=actor, action="guardian.updated", target=guardian, changes=changes)
    return guardian


@transaction.atomic
def guardian_link(*, student, guardian, is_primary=False, actor=None):
    if student.school_id != guardian.school_id:
        raise SchoolsError(
            _("Guardian not found."), code=SchoolsErrorCode.GUARDIAN_NOT_FOUND, fields={"guardian": [_("Not found.")]}
        )
    if is_primary:
        StudentGuardian.objects.filter(student=student, is_primary=True).exclude(guardian=guardian).update(
            is_primary=False
        )
    elif not StudentGuardian.objects.filter(student=student, is_primary=True).exclude(guardian=guardian).exists():
        is_primary = True  # the first guardian is the primary contact
    link, _created = StudentGuardian.objects.update_or_create(
        student=student, guardian=guardian, defaults={"school": student.school, "is_primary": is_primary}
    )
    audit(
        school=student.school,
        actor=actor,
        action="guardian.linked",
        target=student,
        changes={"guardian_id": guardian.pk, "is_primary": is_primary},
    )
    return link


@transaction.atomic
def guardian_set_primary(*, student, guardian, actor):
    """Make `guardian`, already linked to the pupil, the pupil's primary contact (the one messages
    about the pupil go to first, and whose family account holds the family's credit)."""
    links = StudentGuardian.objects.for_school(student.school_id).select_for_update().filter(student=student)
    links = list(links.select_related("guardian"))
    chosen = next((link for link in links if link.guardian_id == guardian.pk), None)
    if chosen is None:
        raise SchoolsError(
            _("Not this pupil's guardian."),
            code=SchoolsErrorCode.GUARDIAN_NOT_FOUND,
            fields={
                "guardian": [
                    _("%(guardian)s is not linked to %(student)s: link them first.")
                    % {"guardian": guardian, "student": student}
                ]
            },
        )
    if chosen.is_primary:
        return chosen
    before = next((link for link in links if link.is_primary), None)
    if before is not None:
        before.is_primary = False
        before.save(update_fields=["is_primary"])
    chosen.is_primary = True
    chosen.save(update_fields=["is_primary"])
    audit(
        school=student.school,
        actor=actor,
        action="student.primary_guardian_set",
        target=student,
        changes={
            "primary_guardian": [str(before.guardian) if before else "", str(guardian)],
            "guardian_id": guardian.pk,
        },
    )
    return chosen


@transaction.atomic
def staff_create(*, school, actor, first_name, last_name, email="", title="", is_teacher=True, user=None):
    staff = StaffProfile.objects.create(
        school=school,
        first_name=first_name,
        last_name=last_name,
        email=email,
        title=title,
        is_teacher=is_teacher,
        user=user,
    )
    audit(school=school, actor=actor, action="staff.created", target=staff)
    return staff
