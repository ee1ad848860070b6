"""What the registrar services share: the row lock, the status move (history, audit, event), the
message context, and storing documents so that a failed transaction leaves no file behind."""

from contextlib import contextmanager

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from academics.seats import seats_release
from classpoint import i18n, messages
from classpoint.audit import audit
from classpoint.files import new_key
from classpoint.outbox import emit

from .. import checklist
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import (
    OPEN_STATUSES,
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationGuardian,
    DocumentKind,
    DuplicateFlag,
)
from ..transitions import check_move

S = Application.Status


class Errors(dict):
    def add(self, field, message):
        self.setdefault(field, []).append(message)

    def raise_if_any(self, message="Some fields need attention."):
        if self:
            raise RegistrarError(message, code=RegistrarErrorCode.INVALID_APPLICATION, fields=dict(self))


def staff_note(words):
    """A history note staff read, in the staff pages' language even when a family's action (the
    public form in Spanish, an upload from a Spanish link) writes it: `words` builds it from labels."""
    with translation.override(settings.LANGUAGE_CODE):
        return words()


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def lock(application):
    return Application.objects.for_school(application.school).select_for_update().get(pk=application.pk)


def class_levels(*, school):
    """The class levels a school teaches (from its class groups): what an applicant may seek."""
    return sorted(set(school.class_groups.values_list("level", flat=True)))


def clean_documents(documents_in, errors):
    """[(kind, upload, content_type)] for the uploads given as (kind, upload) pairs or dicts."""
    out = []
    for index, item in enumerate(documents_in or ()):
        kind, upload = (item["kind"], item["upload"]) if isinstance(item, dict) else item
        if upload is None:
            continue
        field = f"documents.{kind}" if kind in DocumentKind.values else f"documents.{index}"
        try:
            checklist.check_kind(kind, field=field)
            out.append((kind, upload, checklist.check_upload(upload, kind=kind, field=field)))
        except RegistrarError as exc:
            for name, messages in exc.fields.items():
                for message in messages:
                    errors.add(name, message)
    return out


@contextmanager
def stored_files():
    """Collects the storage names written inside the block; deletes them if the block fails, so an
    application that is not saved leaves no files behind."""
    names = []
    try:
        yield names
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise


def store_document(application, *, kind, upload, content_type, via, actor, stored):
    school = application.school
    name = default_storage.save(new_key(f"applications/{school.pk}/{application.pk}", upload.name or kind), upload)
    stored.append(name)
    document = ApplicationDocument(
        school=school,
        application=application,
        kind=kind,
        original_name=(upload.name or "")[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_via=via,
    )
    document.file.name = name
    document.save()
    ApplicationEvent.objects.create(
        school=school,
        application=application,
        kind=ApplicationEvent.Kind.DOCUMENT,
        actor=user_or_none(actor),
        note=staff_note(
            lambda: f"{checklist.kind_label(kind)} received ({ApplicationDocument.Via(via).label.lower()})."
        ),
    )
    return document


def recount_missing(application):
    application.missing_documents = len(checklist.missing_documents_for(application))
    Application.objects.for_school(application.school).filter(pk=application.pk).update(
        missing_documents=application.missing_documents
    )


def recount_duplicates(application):
    application.open_duplicates = (
        DuplicateFlag.objects.for_school(application.school)
        .filter(application=application, status=DuplicateFlag.Status.OPEN)
        .count()
    )
    Application.objects.for_school(application.school).filter(pk=application.pk).update(
        open_duplicates=application.open_duplicates
    )


def guardian_ids(application):
    return list(
        ApplicationGuardian.objects.for_school(application.school)
        .filter(application=application)
        .order_by("-is_primary", "id")
        .values_list("guardian_id", flat=True)
    )


def message_context(application, **extra):
    return {
        "school_name": application.school.name,
        "applicant_name": application.full_name,
        "reference": application.reference,
        **extra,
    }


def family_language(application):
    """The language to keep on the family's guardians: the one they applied in when it is not the
    school's own (an empty preference already means the school's, and follows it if it changes)."""
    language = application.language
    return "" if language == i18n.school_language(application.school) else language


def request_family_message(application, *, template, context, dedupe_key, reason, student_id=None):
    """`classpoint.messages.request_message` to the application's guardians, carrying the language
    the family applied in: messaging writes in it to a guardian who has not chosen a language of
    their own."""
    return messages.request_message(
        school=application.school,
        template=template,
        guardian_ids=guardian_ids(application),
        context=context,
        dedupe_key=dedupe_key,
        student_id=student_id,
        reason=reason,
        language=application.language,
    )


def status_payload(application, from_status, to_status, event):
    return {
        "application_id": application.pk,
        "reference": application.reference,
        "from": from_status,
        "to": to_status,
        "event_id": event.pk,
    }


def move(application, to_status, *, actor, note="", fields=()):
    """Move a locked application along the table: history row, audit, `selfreg.status.updated`.
    Returns the history row."""
    from_status = application.status
    check_move(from_status, to_status)
    now = timezone.now()
    application.status = to_status
    application.status_changed_at = now
    application.save(update_fields=["status", "status_changed_at", "updated_at", *fields])
    event = ApplicationEvent.objects.create(
        school=application.school,
        application=application,
        kind=ApplicationEvent.Kind.STATUS,
        from_status=from_status,
        to_status=to_status,
        note=note,
        actor=user_or_none(actor),
        at=now,
    )
    audit(
        school=application.school,
        actor=actor,
        action="application.status_changed",
        target=application,
        changes={"from": from_status, "to": to_status, "note": note},
    )
    emit(
        school=application.school,
        event_type="selfreg.status.updated",
        dedupe_key=f"selfreg.status:{event.pk}",
        payload=status_payload(application, from_status, to_status, event),
    )
    return event


def release_seats(application):
    """A closed application gives its timetable seats back to the next applicant."""
    seats_release(application=application)


def check_open(app, what):
    if app.status not in OPEN_STATUSES:
        message = _("The application is %(status)s: %(what)s") % {
            "status": app.get_status_display().lower(),
            "what": what,
        }
        raise RegistrarError(message, code=RegistrarErrorCode.APPLICATION_CLOSED, fields={"application": [message]})


def term_of(application, field):
    term = application.term or application.school.current_term()
    if term is None:
        message = _("The school has no current term: set one before admitting applicants.")
        raise RegistrarError(message, code=RegistrarErrorCode.NO_TERM, fields={field: [message]})
    return term
