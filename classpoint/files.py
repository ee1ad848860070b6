"""Files through Django storage, reached only by expiring links.

On S3 the links are presigned by S3 itself. On the filesystem (the embedded default) we sign our
own: a token binding the storage name and an expiry, checked by `signed_file_view` and
`signed_upload_view`. Tokens are unguessable and carry nothing secret.
"""

import datetime
import os
import re
import uuid

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .errors import ApiErrorCode

_DOWNLOAD_SALT = "classpoint.files.download"
_UPLOAD_SALT = "classpoint.files.upload"


# What an uploaded document (a transfer slip, a birth certificate) may be, judged by its first
# bytes: never by its name or the type the client declares.
FILE_SIGNATURES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)
SNIFF_BYTES = 16


def sniff_type(head, allowed=None):
    """The content type whose signature `head` (a file's first bytes) starts with, among `allowed`
    content types (default: all of FILE_SIGNATURES), or None."""
    for magic, content_type, _label in FILE_SIGNATURES:
        if (allowed is None or content_type in allowed) and head.startswith(magic):
            return content_type
    return None


def served_type(head, filename=""):
    """The Content-Type a stored file is served with: what its first bytes are (FILE_SIGNATURES),
    else CSV for the CSV files we write (imports, reports), else opaque bytes. Never the type a name
    suggests: a PDF/HTML polyglot named .html would otherwise run as a page on our origin."""
    sniffed = sniff_type(head)
    if sniffed:
        return sniffed
    if filename.lower().endswith(".csv"):
        return "text/csv; charset=utf-8"
    return "application/octet-stream"


def _stored_type(name, filename):
    with default_storage.open(name, "rb") as stored:
        return served_type(stored.read(SNIFF_BYTES), filename)


def is_s3():
    return settings.STORAGE_BACKEND == "s3"


def safe_filename(name):
    base = os.path.basename(name or "file")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-") or "file"
    return base[:100]


def new_key(prefix, file_name):
    """A fresh storage name under `prefix`, keeping a cleaned-up version of the original name."""
    return f"{prefix.rstrip('/')}/{uuid.uuid4().hex}/{safe_filename(file_name)}"


def download_url(name, *, expires_seconds=None, filename=None):
    """(url, expires_at) for reading `name`; the URL stops working after `expires_seconds`. The file
    always downloads (attachment) with the type its stored bytes have (`served_type`)."""
    seconds = expires_seconds or settings.FILE_LINK_EXPIRY_SECONDS
    expires_at = timezone.now() + datetime.timedelta(seconds=seconds)
    if is_s3():
        # S3 would answer with whatever Content-Type the uploader declared: override it.
        disposition = f'attachment; filename="{safe_filename(filename)}"' if filename else "attachment"
        params = {
            "ResponseContentDisposition": disposition,
            "ResponseContentType": _stored_type(name, filename or name),
        }
        url = default_storage.url(name, parameters=params, expire=seconds)
        return url, expires_at
    token = signing.dumps({"n": name, "f": filename or "", "e": int(expires_at.timestamp())}, salt=_DOWNLOAD_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("signed-file", args=[token]), expires_at


def upload_target(name, *, max_bytes, expires_seconds=900):
    """Where a client may POST one file (multipart, field `file`) to be stored as `name`.

    Returns {"method", "url", "fields", "file_key", "expires_at"}: on S3 a presigned POST with a
    size condition; locally our signed upload endpoint with the same shape.
    """
    expires_at = timezone.now() + datetime.timedelta(seconds=expires_seconds)
    if is_s3():
        client = default_storage.connection.meta.client
        post = client.generate_presigned_post(
            Bucket=default_storage.bucket_name,
            Key=name,
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_seconds,
        )
        return {
            "method": "POST",
            "url": post["url"],
            "fields": post["fields"],
            "file_key": name,
            "expires_at": expires_at,
        }
    token = signing.dumps({"n": name, "m": max_bytes, "e": int(expires_at.timestamp())}, salt=_UPLOAD_SALT)
    return {
        "method": "POST",
        "url": settings.SITE_URL.rstrip("/") + reverse("signed-upload", args=[token]),
        "fields": {},
        "file_key": name,
        "expires_at": expires_at,
    }


def _unsign(token, salt):
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature:
        raise Http404("No such file") from None
    if data.get("e", 0) < timezone.now().timestamp():
        raise Http404("This link has expired")
    return data


@never_cache
@require_GET
def signed_file_view(request, token):
    data = _unsign(token, _DOWNLOAD_SALT)
    name = data["n"]
    if not default_storage.exists(name):
        raise Http404("No such file")
    filename = data.get("f") or os.path.basename(name)
    stored = default_storage.open(name, "rb")
    content_type = served_type(stored.read(SNIFF_BYTES), filename)
    stored.seek(0)
    response = FileResponse(stored, as_attachment=True, filename=filename)
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


def accept_signed_upload(token, uploaded):
    """Store `uploaded` under the name the token was issued for. Returns the name; raises Http404
    for a bad or expired token and ValueError for a refused file."""
    data = _unsign(token, _UPLOAD_SALT)
    if uploaded is None:
        raise ValueError("Send the file in the multipart field “file”.")
    if uploaded.size > data["m"]:
        raise ValueError(f"The file is larger than {data['m'] // (1024 * 1024)} MB.")
    if default_storage.exists(data["n"]):
        raise ValueError("This upload link was already used; ask for a new one.")
    return default_storage.save(data["n"], uploaded)


def signed_upload_view(request, token):
    """Local stand-in for an S3 presigned POST: multipart `file`, authorised by the token alone."""
    from django.http import JsonResponse

    from classpoint.api.errors import error_body

    if request.method != "POST":
        return JsonResponse(error_body(ApiErrorCode.METHOD_NOT_ALLOWED, "POST the file here."), status=405)
    try:
        name = accept_signed_upload(token, request.FILES.get("file"))
    except ValueError as exc:
        return JsonResponse(error_body(ApiErrorCode.INVALID_UPLOAD, str(exc), {"file": [str(exc)]}), status=400)
    return JsonResponse({"file_key": name}, status=201)
