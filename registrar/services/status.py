"""Status moves that are only a move (review, needs info, reject, withdraw) and the guardian's
reply to a needs-info request. Approval and conversion live in `admission`."""

from django.db import transaction
from django.utils.translation import gettext as _

from classpoint.audit import audit
from fees.errors import FeesError, FeesErrorCode
from fees.selectors import invoice_of_school
from fees.services import invoice_void
from schools.models import Student

from .. import links
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import Application, ApplicationDocument, DocumentKind
from ..transitions import check_move, label
from ._base import (
    Errors,
    S,
    clean_documents,
    lock,
    message_context,
    move,
    recount_missing,
    release_seats,
    request_family_message,
    store_document,
    stored_files,
)
from .admission import application_approve, application_convert

MAX_NEEDS_INFO_ITEMS = 20


def _clean_items(items):
    if isinstance(items, str):
        items = [items]
    # A document kind ("birth_certificate") is shown to the family by its name ("Birth certificate").
    # As plain strings: they are joined into the note and kept in a JSONField (a lazy label is neither).
    labels = {kind: str(label) for kind, label in DocumentKind.choices}
    cleaned = [labels.get(str(i).strip(), str(i).strip()) for i in (items or [])]
    cleaned = list(dict.fromkeys(i for i in cleaned if i))
    if not cleaned:
        message = _("Say what is missing (for example: birth certificate), so the family knows what to send.")
        raise RegistrarError(
            message, code=RegistrarErrorCode.NEEDS_INFO_ITEMS_REQUIRED, fields={"needs_info_items": [message]}
        )
    if len(cleaned) > MAX_NEEDS_INFO_ITEMS or any(len(i) > 200 for i in cleaned):
        message = _("List at most %(max)s items of under 200 characters each.") % {"max": MAX_NEEDS_INFO_ITEMS}
        raise RegistrarError(
            message, code=RegistrarErrorCode.NEEDS_INFO_ITEMS_TOO_LONG, fields={"needs_info_items": [message]}
        )
    return cleaned


def _unwind_admission(application, *, actor, to_status):
    """An approved application that is rejected or withdrawn: its admitted (not yet enrolled)
    student is withdrawn and the unpaid invoice voided; money paid must be refunded first."""
    school = application.school
    student = school.students.select_for_update().filter(pk=application.student_id).first()
    if student is None or student.status != Student.Status.ADMITTED:
        return
    invoice = invoice_of_school(school=school, invoice_id=application.invoice_id) if application.invoice_id else None
    if invoice is not None and invoice.status != invoice.Status.VOID:
        try:
            invoice_void(
                invoice=invoice, actor=actor, reason=f"Application {application.reference} {label(to_status).lower()}"
            )
        except FeesError as exc:
            if exc.code != FeesErrorCode.HAS_PAYMENTS:
                raise
            message = _(
                "Invoice %(number)s has payments on it: refund or reverse them first, then mark the application "
                "%(status)s."
            ) % {"number": invoice.number, "status": label(to_status).lower()}
            raise RegistrarError(
                message, code=RegistrarErrorCode.HAS_PAYMENTS, fields={"to_status": [message]}
            ) from exc
    student.status = Student.Status.WITHDRAWN
    student.save(update_fields=["status", "updated_at"])
    audit(
        school=school,
        actor=actor,
        action="student.withdrawn",
        target=student,
        changes={"application": application.reference, "invoice_voided": invoice.number if invoice else None},
    )


@transaction.atomic
def application_transition(*, application, to_status, actor, note="", needs_info_items=None):
    """Move an application to `to_status` if the transition table allows it. Approval and conversion
    do more than change the status and go through their own services."""
    if to_status == S.APPROVED:
        return application_approve(application=application, actor=actor, note=note)
    if to_status == S.CONVERTED:
        # application_convert is idempotent for a repeated click; as a move, converted -> converted is refused.
        check_move(application.status, to_status)
        application_convert(application=application, actor=actor)
        return Application.objects.for_school(application.school).get(pk=application.pk)
    app = lock(application)
    check_move(app.status, to_status)
    note = (note or "").strip()[:2000]
    fields = []
    if to_status == S.NEEDS_INFO:
        app.needs_info_items = _clean_items(needs_info_items)
        fields.append("needs_info_items")
        asked = "Asked for: " + "; ".join(app.needs_info_items)
        note = f"{note}\n{asked}" if note else asked
    elif app.status == S.NEEDS_INFO:
        app.needs_info_items = []
        fields.append("needs_info_items")
    if to_status in (S.REJECTED, S.WITHDRAWN):
        if app.status == S.APPROVED and app.student_id:
            _unwind_admission(app, actor=actor, to_status=to_status)
        release_seats(app)
    event = move(app, to_status, actor=actor, note=note, fields=fields)
    if to_status == S.NEEDS_INFO:
        # Each request for more has its own message (the key names this move's history row).
        request_family_message(
            app,
            template="APPLICATION_NEEDS_INFO",
            context=message_context(app, note="; ".join(app.needs_info_items), status_link=links.needs_info_url(app)),
            dedupe_key=f"application-needs-info:{event.pk}",
            reason="selfreg.needs_info",
        )
    return app


def needs_info_link(*, application):
    """The guardian's secure, expiring page to send what a needs-info request asked for."""
    return links.needs_info_url(application)


@transaction.atomic
def needs_info_reply(*, application, documents_in):
    """What a guardian sends through the needs-info link: the documents, then the application goes
    back to in_review by itself. Only while the application is waiting in needs_info."""
    errors = Errors()
    uploads = clean_documents(documents_in, errors)
    if not uploads and not errors:
        errors.add("documents", "Choose at least one file to send.")
    errors.raise_if_any("Some files could not be accepted.")
    app = lock(application)
    if app.status != S.NEEDS_INFO:
        message = "This application is not waiting for documents any more."
        raise RegistrarError(message, code=RegistrarErrorCode.NOT_WAITING, fields={"documents": [message]})
    with stored_files() as stored:
        for kind, upload, content_type in uploads:
            store_document(
                app,
                kind=kind,
                upload=upload,
                content_type=content_type,
                via=ApplicationDocument.Via.LINK,
                actor=None,
                stored=stored,
            )
        recount_missing(app)
        app.needs_info_items = []
        move(app, S.IN_REVIEW, actor=None, note="Guardian sent the requested documents", fields=["needs_info_items"])
    return app
