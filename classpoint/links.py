"""Links a person opens without an account (a guardian's invoice, message preferences, an application's
status): the token in the URL is signed, not stored, carries ids only, and expires.

Each kind of link has its own salt, so a token made for one page never opens another. The token is
`django.core.signing` over a compressed JSON payload: readable by whoever holds it (never put a secret
in it), impossible to alter or extend without SECRET_KEY.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse


def sign(payload: dict[str, int], *, salt: str) -> str:
    """A URL-safe token for `payload` (ids keyed by short names, e.g. {"s": school_id, "g": guardian_id})."""
    return signing.dumps(payload, salt=salt, compress=True)


def verify(
    token: str, *, salt: str, max_age: datetime.timedelta | int, keys: tuple[str, ...]
) -> tuple[int, ...] | None:
    """The ids under `keys`, in that order, from a token made by `sign` with `salt` at most `max_age`
    (seconds or a timedelta) ago. None for a token that is forged, damaged, expired, made with another
    salt or missing one of the ids: every caller answers all of those the same way (a 404), so that a
    stranger learns nothing about which links exist."""
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    values = tuple(data.get(key) for key in keys)
    # bool is an int to Python, and never an id.
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        return None
    return values


def absolute_url(viewname: str, *args) -> str:
    """The full URL of a page, for a link that leaves the site in a message (SITE_URL, then the path)."""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args)
