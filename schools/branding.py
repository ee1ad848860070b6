"""How a school presents itself on pages: its logo as an inline image and the public form's
introduction. Documents (PDFs) take the logo through schools.documents.

The logo is embedded in the page (a data: URI) rather than linked: files are reached only by
expiring links, a public page must not hand one out to anyone who loads it, and the stored logo is
small (schools/services/logos.py re-encodes it to at most 600 pixels a side). The encoded image is
cached under the file's name, which changes with every upload.
"""

import base64

from django.core.cache import cache

from .models import SchoolProfile

CACHE_SECONDS = 3600
_MAX_BYTES = 2 * 1024 * 1024
_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def profile_of(school):
    """The school's profile (the one already loaded with it, when it was), or None."""
    try:
        return school.profile
    except SchoolProfile.DoesNotExist:
        return None


def logo_bytes(profile):
    """The stored logo's bytes, or None (no logo, or the file is gone from storage)."""
    if profile is None or not profile.logo:
        return None
    try:
        with profile.logo.open("rb") as handle:
            return handle.read(_MAX_BYTES)
    except (OSError, ValueError):  # a logo lost from storage must not stop a page or a document
        return None


def logo_data_uri(profile):
    """`data:image/png;base64,...` for the school's logo, or "" when it has none."""
    if profile is None or not profile.logo:
        return ""
    key = f"school-logo:{profile.logo.name}"
    uri = cache.get(key)
    if uri is None:
        data = logo_bytes(profile) or b""
        content_type = next((t for magic, t in _TYPES.items() if data.startswith(magic)), None)
        uri = f"data:{content_type};base64,{base64.b64encode(data).decode()}" if content_type else ""
        cache.set(key, uri, CACHE_SECONDS)
    return uri
