"""Every code the API plumbing answers is one the schema lists (`ApiErrorCode`): an integrator
switching on `error.code` never meets one nobody told them about."""

import importlib

from django.conf import settings
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from classpoint.api.errors import exception_handler
from classpoint.errors import ApiErrorCode, KernelErrorCode, all_error_codes
from classpoint.secrets import SecretNotFound

# DRF exceptions the handler answers with a code of its own rather than the exception's.
RENAMED = {exceptions.ValidationError: ApiErrorCode.INVALID, exceptions.ParseError: ApiErrorCode.MALFORMED_REQUEST}
NEEDS_ARGUMENT = {exceptions.MethodNotAllowed: ("PATCH",), exceptions.UnsupportedMediaType: ("text/plain",)}


def _subclasses(cls):
    found, pending = [], [cls]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.__subclasses__())
    return found


def _everything_loaded():
    # API modules (and the exceptions and permissions they define) are imported by the URLconf.
    importlib.import_module(settings.ROOT_URLCONF)


def _answered_code(exc):
    return exception_handler(exc, {}).data["error"]["code"]


def test_every_api_exception_answers_a_listed_code_unchanged():
    _everything_loaded()
    answered = {}
    for cls in _subclasses(exceptions.APIException):
        exc = cls(*NEEDS_ARGUMENT.get(cls, ()))
        expected = next((code for base, code in RENAMED.items() if isinstance(exc, base)), cls.default_code)
        answered[f"{cls.__module__}.{cls.__name__}"] = (_answered_code(exc), expected)
    wrong = {name: pair for name, pair in answered.items() if pair[0] != pair[1]}
    assert not wrong, f"answered code != the exception's own (add it to ApiErrorCode): {wrong}"


def test_every_permission_code_is_listed():
    _everything_loaded()
    codes = {cls.__name__: cls.code for cls in _subclasses(BasePermission) if getattr(cls, "code", None)}
    assert codes  # SecondFactorVerified at least
    assert not {name: code for name, code in codes.items() if code not in set(ApiErrorCode)}


def test_a_code_the_schema_does_not_list_is_answered_as_error():
    # given an exception raised with a code of its own that nobody added to ApiErrorCode
    exc = exceptions.PermissionDenied("Not for you.", code="made_up_here")

    # when the handler answers it
    response = exception_handler(exc, {})

    # then the status and message stand, the code is the listed catch-all
    assert response.status_code == 403
    assert response.data["error"] == {"code": "error", "message": "Not for you.", "fields": {}}


def test_kernel_errors_carry_listed_codes():
    assert SecretNotFound("Secret x is not configured.").code == KernelErrorCode.SECRET_NOT_FOUND
    assert {"secret_not_found", "payload_too_large", "invalid_upload", "error"} <= set(all_error_codes())
