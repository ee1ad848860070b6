"""A new application arrives (public form, API, staff): checked whole before anything is written,
its guardians matched to the school's families, possible duplicates flagged, the family told."""

import datetime
import logging

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from classpoint import ratelimit
from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.messages import request_message
from classpoint.outbox import emit
from messaging.consent import consent_set
from schools.models import Student, StudentGuardian
from schools.phones import normalize_phone
from schools.services import guardian_create

from .. import checklist, links
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import Application, ApplicationDocument, ApplicationEvent, ApplicationGuardian, DuplicateFlag
from ._base import (
    Errors,
    S,
    class_levels,
    clean_documents,
    message_context,
    status_payload,
    store_document,
    stored_files,
    user_or_none,
)

MAX_GUARDIANS = 2
MAX_AGE_YEARS = 25

log = logging.getLogger(__name__)


def _text(data, key, errors, field, *, max_length, required_message=""):
    value = str(data.get(key) or "").strip()
    if required_message and not value:
        errors.add(field, required_message)
    elif len(value) > max_length:
        errors.add(field, f"Keep this under {max_length} characters.")
    return value


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _clean_applicant(school, data, errors):
    p = "applicant."
    out = {
        "first_name": _text(
            data,
            "first_name",
            errors,
            p + "first_name",
            max_length=80,
            required_message="Enter the child's first name.",
        ),
        "last_name": _text(
            data, "last_name", errors, p + "last_name", max_length=80, required_message="Enter the child's surname."
        ),
        "other_names": _text(data, "other_names", errors, p + "other_names", max_length=120),
        "previous_school": _text(data, "previous_school", errors, p + "previous_school", max_length=200),
        "notes": _text(data, "notes", errors, p + "notes", max_length=2000),
    }
    today = school.local_today()
    born = _date(data.get("date_of_birth"))
    if born is None:
        errors.add(p + "date_of_birth", "Enter the date of birth, e.g. 2014-03-21.")
    elif born > today:
        errors.add(p + "date_of_birth", "The date of birth cannot be in the future.")
    elif born < _years_before(today, MAX_AGE_YEARS):
        errors.add(p + "date_of_birth", f"Check the year: applicants are at most {MAX_AGE_YEARS} years old.")
    out["date_of_birth"] = born
    gender = str(data.get("gender") or "").strip().lower()
    if gender not in Application.Gender.values:
        errors.add(p + "gender", "Choose female or male.")
    out["gender"] = gender
    level = str(data.get("class_level") or "").strip()
    levels = class_levels(school=school)
    if not level:
        errors.add(p + "class_level", "Choose the class applied for.")
    elif level not in levels:
        errors.add(p + "class_level", f"“{level}” is not a class at this school. Choose one of: {', '.join(levels)}.")
    out["class_level"] = level
    term = data.get("term")
    if term is not None and term.school_id != school.pk:
        errors.add(p + "term", "Not found in this school.")
    out["term"] = term
    return out


def _preferred_channel(g):
    for channel, address in (("sms", g["phone"]), ("whatsapp", g["phone"]), ("email", g["email"])):
        if g[f"consent_{channel}"] and address:
            return channel
    return "sms" if g["phone"] else "email"


def _clean_guardians(school, guardians, errors):
    if not isinstance(guardians, list | tuple) or not guardians:
        errors.add("guardians", "Give at least one parent or guardian.")
        return []
    if len(guardians) > MAX_GUARDIANS:
        errors.add("guardians", f"Give at most {MAX_GUARDIANS} parents or guardians.")
        return []
    out = []
    for index, data in enumerate(guardians):
        p = f"guardians.{index}."
        g = {
            "first_name": _text(
                data,
                "first_name",
                errors,
                p + "first_name",
                max_length=80,
                required_message="Enter the guardian's first name.",
            ),
            "last_name": _text(
                data,
                "last_name",
                errors,
                p + "last_name",
                max_length=80,
                required_message="Enter the guardian's surname.",
            ),
            "relationship": _text(data, "relationship", errors, p + "relationship", max_length=40),
            "phone": "",
            "email": "",
        }
        try:
            g["phone"] = normalize_phone(str(data.get("phone") or ""), school.country)
        except ValueError as exc:
            errors.add(p + "phone", str(exc))
        email = str(data.get("email") or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.add(p + "email", "Enter a valid email address, e.g. ada@example.com.")
            else:
                g["email"] = email
        if not g["phone"] and not email and p + "phone" not in errors:
            errors.add(p + "phone", "Give a phone number or an email address so the school can reach you.")
        for channel in ("sms", "whatsapp", "email"):
            g[f"consent_{channel}"] = bool(data.get(f"consent_{channel}"))
        g["preferred_channel"] = _preferred_channel(g)
        out.append(g)
    if len(out) == 2:
        first, second = out
        if first["phone"] and first["phone"] == second["phone"]:
            errors.add("guardians.1.phone", "The second guardian has the same phone number as the first.")
        elif first["email"] and first["email"] == second["email"] and not (first["phone"] or second["phone"]):
            errors.add("guardians.1.email", "The second guardian has the same email address as the first.")
    return out


def _match_guardian(school, g, exclude_ids):
    """An existing guardian of the school with this phone, else this email: a family applying
    again (a sibling) reaches the Guardian row its messages already go to."""
    guardians = school.guardians.exclude(pk__in=exclude_ids).order_by("id")
    if g["phone"]:
        found = guardians.filter(phone=g["phone"]).first()
        if found:
            return found
    if g["email"]:
        return guardians.filter(email__iexact=g["email"]).first()
    return None


def _new_guardian(school, g, *, actor, reference):
    guardian = guardian_create(
        school=school,
        actor=actor,
        first_name=g["first_name"],
        last_name=g["last_name"],
        relationship=g["relationship"],
        phone=g["phone"],
        email=g["email"],
        preferred_channel=g["preferred_channel"],
    )
    for channel in ("sms", "whatsapp", "email"):
        if g[f"consent_{channel}"]:
            consent_set(
                guardian=guardian,
                channel=channel,
                granted=True,
                source="form",
                actor=actor,
                note=f"Given on application {reference}",
            )
    return guardian


def _flag_duplicates(application, guardian_ids):
    """Possible duplicates of a new application: the same child (names and date of birth) applied
    before with a shared guardian, or already is a student."""
    school = application.school
    same_child = {
        "first_name__iexact": application.first_name,
        "last_name__iexact": application.last_name,
        "date_of_birth": application.date_of_birth,
    }
    flags = []
    others = (
        Application.objects.for_school(school)
        .filter(**same_child, guardians__guardian_id__in=guardian_ids)
        .exclude(pk=application.pk)
        .exclude(status=S.WITHDRAWN)
        .distinct()
        .order_by("submitted_at", "id")
    )
    for other in others:
        reason = (
            f"Same child (names and date of birth) and same guardian as {other.reference}, "
            f"which is {other.get_status_display().lower()}."
        )
        flags.append(DuplicateFlag(school=school, application=application, other_application=other, reason=reason))
    shares_a_guardian = StudentGuardian.objects.filter(student_id=OuterRef("pk"), guardian_id__in=guardian_ids)
    students = (
        Student.objects.for_school(school)
        .filter(**same_child)
        .annotate(shared=Exists(shares_a_guardian))
        .order_by("id")
    )
    for student in students:
        reason = (
            f"{student.full_name} ({student.admission_number}), a {student.get_status_display().lower()} "
            f"student, has the same names and date of birth"
            f"{' and the same guardian' if student.shared else ''}."
        )
        flags.append(DuplicateFlag(school=school, application=application, student=student, reason=reason[:300]))
    DuplicateFlag.objects.bulk_create(flags)
    ApplicationEvent.objects.bulk_create(
        [
            ApplicationEvent(
                school=school,
                application=application,
                kind=ApplicationEvent.Kind.DUPLICATE,
                note=f"Possible duplicate: {flag.reason}",
            )
            for flag in flags
        ]
    )
    application.open_duplicates = len(flags)
    return flags


def _search_text(application, guardians):
    parts = [application.first_name, application.other_names, application.last_name, application.reference]
    for g in guardians:
        parts += [g["first_name"], g["last_name"], g["email"], g["phone"]]
        if g["phone"]:
            # As people type it at home ("0803 123 4567"), so the board's search finds it either way.
            national = phonenumbers.format_number(
                phonenumbers.parse(g["phone"]), phonenumbers.PhoneNumberFormat.NATIONAL
            )
            parts.append(national.replace(" ", ""))
    return " ".join(p for p in parts if p).lower()


def _confirmation_allowed(school, source, now):
    """Whether this application may text its confirmation. The public form sends an SMS to a number
    the submitter typed, so an attacker rotating addresses could make a school pay for a flood of
    them (SMS pumping): at most APPLICATION_CONFIRMATIONS_PER_HOUR per school per clock hour.
    Staff and API entries are not capped; they are not anonymous."""
    if source != Application.Source.FORM:
        return True
    key = f"registrar:confirmations:{school.pk}:{now:%Y%m%d%H}"
    return ratelimit.take(key, window=3600) <= settings.APPLICATION_CONFIRMATIONS_PER_HOUR


_VIA_FOR_SOURCE = {
    Application.Source.FORM: ApplicationDocument.Via.FORM,
    Application.Source.API: ApplicationDocument.Via.API,
    Application.Source.STAFF: ApplicationDocument.Via.STAFF,
}


@transaction.atomic
def application_submit(*, school, applicant, guardians, documents=(), source, actor=None):
    """A new application (public form, API or staff): checked whole before anything is written,
    numbered APP-000123 from the school's gapless counter, its guardians matched to the school's
    families or created with the consent given, possible duplicates flagged, and the family told
    (APPLICATION_RECEIVED)."""
    if source not in Application.Source.values:
        raise RegistrarError(
            "Unknown source.",
            code=RegistrarErrorCode.INVALID_SOURCE,
            fields={"source": [f"Choose one of {', '.join(Application.Source.values)}."]},
        )
    if not school.is_active:
        raise RegistrarError("This school is not taking applications.", code=RegistrarErrorCode.SCHOOL_SUSPENDED)
    errors = Errors()
    child = _clean_applicant(school, applicant or {}, errors)
    people = _clean_guardians(school, guardians, errors)
    uploads = clean_documents(documents, errors)
    errors.raise_if_any("The application has fields that need attention.")

    now = timezone.now()
    reference = f"APP-{next_value(school=school, key='application'):06d}"
    application = Application.objects.create(
        school=school,
        reference=reference,
        status=S.PENDING,
        source=source,
        submitted_at=now,
        status_changed_at=now,
        created_by=user_or_none(actor),
        **child,
    )
    used = []
    for index, g in enumerate(people):
        guardian = _match_guardian(school, g, used) or _new_guardian(school, g, actor=actor, reference=reference)
        used.append(guardian.pk)
        ApplicationGuardian.objects.create(
            school=school,
            application=application,
            guardian=guardian,
            is_primary=index == 0,
            **{
                k: g[k]
                for k in (
                    "first_name",
                    "last_name",
                    "relationship",
                    "phone",
                    "email",
                    "consent_sms",
                    "consent_whatsapp",
                    "consent_email",
                )
            },
        )
    application.search_text = _search_text(application, people)
    event = ApplicationEvent.objects.create(
        school=school,
        application=application,
        kind=ApplicationEvent.Kind.STATUS,
        to_status=S.PENDING,
        at=now,
        actor=user_or_none(actor),
        note=f"Received ({Application.Source(source).label.lower()}).",
    )
    _flag_duplicates(application, used)
    with stored_files() as stored:
        for kind, upload, content_type in uploads:
            store_document(
                application,
                kind=kind,
                upload=upload,
                content_type=content_type,
                via=_VIA_FOR_SOURCE[source],
                actor=actor,
                stored=stored,
            )
        missing = checklist.missing_documents_for(application)
        application.missing_documents = len(missing)
        application.save(update_fields=["search_text", "open_duplicates", "missing_documents"])
        audit(
            school=school,
            actor=actor,
            action="application.submitted",
            target=application,
            changes={
                "source": source,
                "class_level": application.class_level,
                "guardians": len(people),
                "documents": len(uploads),
                "missing_documents": missing,
                "possible_duplicates": application.open_duplicates,
            },
        )
        emit(
            school=school,
            event_type="selfreg.status.updated",
            dedupe_key=f"selfreg.status:{event.pk}",
            payload=status_payload(application, "", S.PENDING, event),
        )
        if _confirmation_allowed(school, source, now):
            context = message_context(
                application, class_name=application.class_level, status_link=links.status_url(application)
            )
            request_message(
                school=school,
                template="APPLICATION_RECEIVED",
                guardian_ids=used,
                context=context,
                dedupe_key=f"application-received:{application.pk}",
                reason="selfreg.submitted",
            )
        else:
            limit = settings.APPLICATION_CONFIRMATIONS_PER_HOUR
            log.warning(
                "school %s: confirmation for application %s withheld (more than %s this hour)",
                school.slug,
                application.reference,
                limit,
            )
            audit(
                school=school,
                actor=actor,
                action="application.confirmation_withheld",
                target=application,
                changes={"template": "APPLICATION_RECEIVED", "limit_per_hour": limit},
            )
    return application
