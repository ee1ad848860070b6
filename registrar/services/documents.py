"""Documents added to an application by staff, the API or the family, and staff's verdict on them."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit

from .. import checklist
from ..errors import RegistrarError, RegistrarErrorCode
from ..models import ApplicationDocument, ApplicationEvent
from ._base import check_open, lock, recount_missing, store_document, stored_files, user_or_none


@transaction.atomic
def document_add(*, application, kind, upload, via, actor=None):
    """One document on an open application, kept only if it is a PDF, JPEG or PNG (a photo: JPEG or
    PNG) within APPLICATION_DOCUMENT_MAX_BYTES."""
    checklist.check_kind(kind)
    if via not in ApplicationDocument.Via.values:
        raise RegistrarError(
            _("Unknown source."),
            code=RegistrarErrorCode.INVALID_SOURCE,
            fields={"via": [_("Choose one of %(values)s.") % {"values": ", ".join(ApplicationDocument.Via.values)}]},
        )
    content_type = checklist.check_upload(upload, kind=kind)
    app = lock(application)
    check_open(app, _("documents can no longer be added."))
    with stored_files() as stored:
        document = store_document(
            app, kind=kind, upload=upload, content_type=content_type, via=via, actor=actor, stored=stored
        )
        recount_missing(app)
        audit(
            school=app.school,
            actor=actor,
            action="application.document_added",
            target=app,
            changes={"kind": kind, "via": via, "content_type": content_type, "size": document.size},
        )
    return document


@transaction.atomic
def document_review(*, document, actor, status, note=""):
    """Staff verify a document, or reject it with a note (a rejected document counts as missing)."""
    allowed = (ApplicationDocument.Status.VERIFIED, ApplicationDocument.Status.REJECTED)
    if status not in allowed:
        raise RegistrarError(
            _("Choose verified or rejected."),
            code=RegistrarErrorCode.INVALID_REVIEW_STATUS,
            fields={"status": [_("Choose verified or rejected.")]},
        )
    note = (note or "").strip()[:300]
    if status == ApplicationDocument.Status.REJECTED and not note:
        message = _("Say why the document is rejected (the family will be asked for another).")
        raise RegistrarError(message, code=RegistrarErrorCode.NOTE_REQUIRED, fields={"note": [message]})
    app = lock(document.application)
    document = ApplicationDocument.objects.for_school(app.school).select_for_update().get(pk=document.pk)
    previous = document.status
    document.status, document.note = status, note
    document.reviewed_by, document.reviewed_at = user_or_none(actor), timezone.now()
    document.save(update_fields=["status", "note", "reviewed_by", "reviewed_at"])
    verdict = "verified" if status == ApplicationDocument.Status.VERIFIED else f"rejected: {note}"
    ApplicationEvent.objects.create(
        school=app.school,
        application=app,
        kind=ApplicationEvent.Kind.DOCUMENT,
        actor=user_or_none(actor),
        note=f"{checklist.kind_label(document.kind)} {verdict}",
    )
    recount_missing(app)
    audit(
        school=app.school,
        actor=actor,
        action="application.document_reviewed",
        target=app,
        changes={"document_id": document.pk, "kind": document.kind, "status": [previous, status], "note": note},
    )
    return document
