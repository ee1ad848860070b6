"""A school's logo: what may be uploaded and what is kept.

Only PNG and JPEG are taken, judged by their first bytes and by decoding them: an SVG can carry
script, and an image that does not decode would break every document it is printed on. The image
is re-encoded (scaled to fit LOGO_MAX_SIDE, metadata dropped), so what is stored is a plain picture
of a known size whatever was sent, small enough to embed in a page and a PDF.
"""

import io
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from classpoint.files import sniff_type

from ..errors import SchoolsError, SchoolsErrorCode

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_SIDE = 600  # pixels: sharp at 40 mm on paper, light in a page
# Larger pictures are refused before they are decoded (a small file may unpack to a huge bitmap).
LOGO_MAX_PIXELS = 25_000_000
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
FIELD = "logo"


def _refuse(message):
    raise SchoolsError(_("The logo was not saved."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields={FIELD: [message]})


def _no_file(message):
    raise SchoolsError(_("The logo was not saved."), code=SchoolsErrorCode.NO_FILE, fields={FIELD: [message]})


def _too_large():
    message = _("The image is larger than %(size)s MB.") % {"size": LOGO_MAX_BYTES // (1024 * 1024)}
    raise SchoolsError(_("The logo was not saved."), code=SchoolsErrorCode.FILE_TOO_LARGE, fields={FIELD: [message]})


def _read(uploaded):
    if uploaded is None:
        _no_file(_("Choose an image file to upload."))
    if (uploaded.size or 0) > LOGO_MAX_BYTES:
        _too_large()
    data = uploaded.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        _too_large()
    if not data:
        _no_file(_("The file is empty."))
    return data


def logo_image(data):
    """(bytes, extension) of the logo to keep from an upload's bytes, or a SchoolsError on `logo`."""
    content_type = sniff_type(data[:16], allowed=set(LOGO_TYPES))
    if content_type is None:
        _refuse(_("Upload a PNG or JPEG image. Other formats, SVG included, are not accepted."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != LOGO_TYPES[content_type]:
                _refuse(_("Upload a PNG or JPEG image. Other formats, SVG included, are not accepted."))
            width, height = image.size
            if width * height > LOGO_MAX_PIXELS:
                _refuse(
                    _("The image is %(width)s × %(height)s pixels; use one of at most %(limit)s megapixels.")
                    % {"width": width, "height": height, "limit": LOGO_MAX_PIXELS // 1_000_000}
                )
            if min(width, height) < 16:
                _refuse(_("The image is too small to print; use one at least 16 pixels each way."))
            image.load()
            # A phone's JPEG is stored sideways with a note to turn it; the note goes with the metadata.
            picture = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        _refuse(_("The image could not be read; it may be damaged. Save it again as PNG or JPEG and upload that."))
    picture.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    out = io.BytesIO()
    if content_type == "image/png":
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    picture.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
    return out.getvalue(), "jpg"


def logo_replace(*, school, profile, uploaded, remove=False):
    """Store `uploaded` as the profile's logo, or with `remove` take the logo away. Returns (before,
    after) storage names. Call inside the caller's transaction: the old file is deleted only once it
    commits (a rolled-back replacement leaves the new file unused in storage, never the profile
    without its logo)."""
    before = profile.logo.name or ""
    after = ""
    if remove:
        profile.logo = ""
    else:
        data, extension = logo_image(_read(uploaded))
        profile.logo.save(f"{school.slug}-{uuid.uuid4().hex[:12]}.{extension}", ContentFile(data), save=False)
        after = profile.logo.name
    profile.save(update_fields=["logo"])
    if before:
        storage = profile.logo.storage
        transaction.on_commit(lambda: storage.delete(before), robust=True)
    return before, after
