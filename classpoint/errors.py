"""The base of every app's domain error: a stable code, a message safe to show, optional fields.

Each app lists its codes in one enum (`FeesErrorCode(ErrorCode)`, like Saleor's `OrderErrorCode`)
and names it on its error (`FeesError.codes`); a code outside the app's enum is a programming error
and fails where it is raised. The OpenAPI schema's error component lists every app's codes and the
API plumbing's own (`ApiErrorCode`), so an integrator can switch on them."""

import enum


class ErrorCode(enum.StrEnum):
    """Base of the per-app code enums; a member's value is the wire code."""


class ApiErrorCode(ErrorCode):
    """Codes the shared API plumbing answers, whatever the endpoint."""

    INVALID = "invalid"
    MALFORMED_REQUEST = "malformed_request"  # DRF's ParseError: a body that does not parse
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"  # BodySizeLimitMiddleware, from Content-Length
    THROTTLED = "throttled"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    INVALID_UPLOAD = "invalid_upload"  # a file refused by the signed upload target
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"  # the database is down or restarting: retry shortly
    # DRF's bare APIException, and any exception whose code is not one of the above: the handler
    # answers this rather than a code no integrator was told about.
    ERROR = "error"


class KernelErrorCode(ErrorCode):
    """Codes of the kernel's own domain errors."""

    SECRET_NOT_FOUND = "secret_not_found"


class DomainError(Exception):
    codes: type[ErrorCode] | None = None
    code = "invalid"
    status_code = 400

    def __init__(self, message, *, code=None, fields=None):
        super().__init__(message)
        self.message = message
        if code:
            # An unknown code fails here, in the test that raises it, not in an integrator's switch.
            self.code = self.codes(code) if self.codes is not None else code
        self.fields = fields or {}


def all_error_codes():
    """Every wire code an API answer can carry: the plumbing's and each app's enum."""
    found = set(ApiErrorCode)
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.codes is not None:
            found |= set(cls.codes)
            found.add(cls.codes(cls.code))
    return sorted(str(code) for code in found)
