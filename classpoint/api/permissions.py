"""API permissions every endpoint carries, whatever its own `permission_classes` say."""

from django.urls import reverse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

from classpoint.errors import ApiErrorCode
from classpoint.middleware import second_factor_pending


class SecondFactorVerified(BasePermission):
    """A browser session of a user who must pass the TOTP step reaches nothing before passing it,
    exactly as on workspace pages. Tokens belong to integrators' service users and are not asked."""

    code = ApiErrorCode.TWO_FACTOR_REQUIRED

    @property
    def message(self):
        return f"Complete two-step verification at {reverse('two-factor')} before using the API with this session."

    def has_permission(self, request, view):
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        return not second_factor_pending(request.user)
