"""Application documents: which kinds a class level requires, which are still missing, and whether
an upload may be kept (judged by its size and first bytes, never by its name or declared type)."""

from django.conf import settings

from classpoint.files import SNIFF_BYTES, sniff_type

from .errors import RegistrarError, RegistrarErrorCode
from .models import ApplicationDocument, DocumentKind, DocumentRequirement

ANY_DOCUMENT = frozenset({"application/pdf", "image/jpeg", "image/png"})
# A passport photo is printed on the student's card: an image, not a PDF.
ALLOWED_TYPES = {DocumentKind.PHOTO: frozenset({"image/jpeg", "image/png"})}
KIND_ORDER = [value for value, _label in DocumentKind.choices]
# Documents that count as "sent" for the checklist: a rejected one must be sent again.
COUNTED = (ApplicationDocument.Status.RECEIVED, ApplicationDocument.Status.VERIFIED)


def kind_label(kind):
    # str(): the label is lazy (translated when shown), and callers join it into messages.
    return str(DocumentKind(kind).label) if kind in DocumentKind.values else str(kind)


def check_kind(kind, field="kind"):
    if kind not in DocumentKind.values:
        message = f"Choose one of: {', '.join(kind_label(k) for k in KIND_ORDER)}."
        raise RegistrarError(message, code=RegistrarErrorCode.INVALID_KIND, fields={field: [message]})
    return kind


def check_upload(upload, *, kind, field="file"):
    """The content type of `upload` if it may be kept as a `kind` document; else RegistrarError
    naming `field`. Reads only the first bytes and rewinds, so a refused file is never stored."""
    if upload is None:
        message = "Choose a file to upload."
        raise RegistrarError(message, code=RegistrarErrorCode.NO_FILE, fields={field: [message]})
    size = getattr(upload, "size", 0) or 0
    if size <= 0:
        message = "The file is empty."
        raise RegistrarError(message, code=RegistrarErrorCode.EMPTY_FILE, fields={field: [message]})
    limit = settings.APPLICATION_DOCUMENT_MAX_BYTES
    if size > limit:
        megabytes = f"{limit / (1024 * 1024):g}"
        message = f"The file is larger than {megabytes} MB; send a smaller scan or photo."
        raise RegistrarError(message, code=RegistrarErrorCode.FILE_TOO_LARGE, fields={field: [message]})
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    allowed = ALLOWED_TYPES.get(kind, ANY_DOCUMENT)
    content_type = sniff_type(head, allowed)
    if content_type is None:
        wanted = "a JPEG or PNG image" if allowed == ALLOWED_TYPES.get(DocumentKind.PHOTO) else "a PDF, JPEG or PNG"
        message = f"The {kind_label(kind).lower()} must be {wanted}."
        raise RegistrarError(message, code=RegistrarErrorCode.UNSUPPORTED_TYPE, fields={field: [message]})
    return content_type


def requirements_for(*, school, level):
    """The document kinds an applicant to `level` must send: the school's rules for every level
    (level ""), overridden kind by kind by the rules for that level."""
    rules = {}
    rows = DocumentRequirement.objects.for_school(school).filter(level__in=["", level or ""]).order_by("level")
    for row in rows:  # "" sorts first, so a level's own rule wins
        rules[row.kind] = row.is_required
    return [kind for kind in KIND_ORDER if rules.get(kind)]


def missing_documents_for(application):
    """The required kinds the application has no received or verified document of."""
    required = requirements_for(school=application.school, level=application.class_level)
    if not required:
        return []
    sent = set(
        ApplicationDocument.objects.for_school(application.school)
        .filter(application=application, status__in=COUNTED)
        .values_list("kind", flat=True)
    )
    return [kind for kind in required if kind not in sent]
