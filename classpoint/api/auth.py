"""Integration tokens: made here, kept only as a SHA-256 hash (`classpoint.models.ApiToken`), and
checked on every API request that sends one as `Authorization: Token <key>` (how integrators have
always sent it) or `Authorization: Bearer <key>`.

A token speaks for its school alone: its service user is a member of that school only, and a request
naming another school in its path is answered 404, like any school the caller is not a member of.
"""

import datetime
import hashlib
import secrets

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from classpoint.metrics import TENANT_ACCESS_DENIED
from classpoint.models import ApiToken

KEY_PREFIX = "cp_"
PREFIX_LENGTH = 10  # "cp_" and 7 characters of the key: enough to tell a school's tokens apart
SCHEMES = (b"token", b"bearer")
# Last use is written at most this often per token: a busy integration must not update a row per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def new_key():
    """(key, prefix, hash) for a new token: the key for the person who made it, the rest to keep."""
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    return key, key[:PREFIX_LENGTH], key_hash(key)


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in SCHEMES:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Token <key>'.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token holds characters no token has.") from None
        token = ApiToken.objects.select_related("user", "school").filter(key_hash=key_hash(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        self._check_school(request, token)
        self._touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword

    def _check_school(self, request, token):
        match = getattr(request._request, "resolver_match", None)
        slug = match.kwargs.get("school_slug") if match is not None else None
        if slug is not None and slug != token.school.slug:
            TENANT_ACCESS_DENIED.inc()
            raise exceptions.NotFound()

    def _touch(self, token):
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            # Conditional, so concurrent requests write it once.
            ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
                last_used_at=now
            )
            token.last_used_at = now


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A school's integration token, made by a school admin under People › API tokens: "
            "`Token <key>` (or `Bearer <key>`).",
        }
