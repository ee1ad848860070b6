"""A new application arrives (public form, API, staff): checked whole before anything is written,
its guardians matched to the school's families, possible duplicates flagged, the family told."""

import logging

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from classpoint import i18n, ratelimit
from classpoint.audit import audit
from classpoint.counters import next_value
from classpoint.outbox import emit
from messaging.consent import consent_set
from schools.services import guardian_create

from .. import checklist, links
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import Application, ApplicationDocument, ApplicationEvent, ApplicationGuardian
from ._base import (
    Errors,
    S,
    clean_documents,
    family_language,
    message_context,
    request_family_message,
    staff_note,
    status_payload,
    store_document,
    stored_files,
    user_or_none,
)
from .duplicates import flag_duplicates
from .intake_checks import clean_applicant, clean_guardians

log = logging.getLogger(__name__)


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


def _new_guardian(school, g, *, actor, reference, language):
    guardian = guardian_create(
        school=school,
        actor=actor,
        first_name=g["first_name"],
        last_name=g["last_name"],
        relationship=g["relationship"],
        phone=g["phone"],
        email=g["email"],
        preferred_channel=g["preferred_channel"],
        # A family that applied in Spanish is written to in Spanish from the start.
        preferred_language=language,
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
def application_submit(*, school, applicant, guardians, documents=(), source, actor=None, language=""):
    """A new application (public form, API or staff): checked whole before anything is written,
    numbered APP-000123 from the school's gapless counter, its guardians matched to the school's
    families or created with the consent given, possible duplicates flagged, and the family told
    (APPLICATION_RECEIVED). `language`: the one the family applied in (the public form's), kept on
    the application and given to the guardians it creates; one Classpoint does not offer is ignored."""
    if source not in Application.Source.values:
        raise RegistrarError(
            "Unknown source.",
            code=RegistrarErrorCode.INVALID_SOURCE,
            fields={"source": [f"Choose one of {', '.join(Application.Source.values)}."]},
        )
    if not school.is_active:
        raise RegistrarError("This school is not taking applications.", code=RegistrarErrorCode.SCHOOL_SUSPENDED)
    errors = Errors()
    child = clean_applicant(school, applicant or {}, errors)
    people = clean_guardians(school, guardians, errors)
    uploads = clean_documents(documents, errors)
    errors.raise_if_any("The application has fields that need attention.")

    now = timezone.now()
    language = i18n.supported(language)
    reference = f"APP-{next_value(school=school, key='application'):06d}"
    application = Application.objects.create(
        school=school,
        reference=reference,
        status=S.PENDING,
        source=source,
        language=language,
        submitted_at=now,
        status_changed_at=now,
        created_by=user_or_none(actor),
        **child,
    )
    used, preferred = [], family_language(application)
    for index, g in enumerate(people):
        guardian = _match_guardian(school, g, used) or _new_guardian(
            school, g, actor=actor, reference=reference, language=preferred
        )
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
        note=staff_note(lambda: f"Received ({Application.Source(source).label.lower()})."),
    )
    flag_duplicates(application, used)
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
            request_family_message(
                application,
                template="APPLICATION_RECEIVED",
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
