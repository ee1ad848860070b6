import re
import uuid

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from .context import client_ip_var, request_id_var
from .errors import ApiErrorCode
from .net import client_ip

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (kept from X-Request-ID when sane) that the audit log records."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        id_token = request_id_var.set(request.id)
        ip_token = client_ip_var.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            client_ip_var.reset(ip_token)
        response["X-Request-ID"] = request.id
        return response


class BodySizeLimitMiddleware:
    """Refuses oversized bodies from the Content-Length header, before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.CLASSPOINT_MAX_BODY_BYTES:
            return JsonResponse(
                {
                    "error": {
                        "code": ApiErrorCode.PAYLOAD_TOO_LARGE,
                        "message": f"The request body is larger than {settings.CLASSPOINT_MAX_BODY_BYTES} bytes.",
                        "fields": {},
                    }
                },
                status=413,
            )
        return self.get_response(request)


class RefuseNulBytesMiddleware:
    """Text fields and query parameters holding a NUL byte are refused with a 400 before any view runs.

    Nobody types a NUL; PostgreSQL refuses to store one (a 500 deep inside a save), and views that
    read `request.POST` by hand have no form to validate it. Uploaded files are bytes, not text, and
    request bodies sent to the API are its parsers' and serializers' to judge (DRF's CharField refuses
    NUL), so only query strings everywhere and the workspace's form fields are read.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self._query_field_with_nul(request)
        if field is not None:
            return self._refuse(request, field)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Form fields are read once the view is known: a provider's webhook (csrf-exempt: it is
        # signed instead) reads and verifies its raw body, which parsing the form here would consume.
        if getattr(view_func, "csrf_exempt", False):
            return None
        try:
            field = self._form_field_with_nul(request)
        except MultiPartParserError:
            # A broken upload body: a 400 of its own, not a server error.
            return render(request, "400.html", status=400)
        if field is not None:
            return self._refuse(request, field)
        return None

    def _refuse(self, request, field):
        message = "This field holds a character that cannot be stored (NUL)."
        if request.path.startswith("/api/"):
            body = {
                "error": {
                    "code": ApiErrorCode.INVALID,
                    "message": "The request has invalid fields.",
                    "fields": {field: [message]},
                }
            }
            return JsonResponse(body, status=400)
        return render(request, "400.html", {"field": field, "message": message}, status=400)

    def _query_field_with_nul(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "")
        return None

    def _form_field_with_nul(self, request):
        if (
            request.method == "POST"
            and request.content_type in self.FORM_TYPES
            and not request.path.startswith("/api/")
        ):
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return key.replace("\x00", "")
        return None


def user_requires_2fa(user):
    if not settings.CLASSPOINT_REQUIRE_2FA or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    # The role decides (school admins and bursars by default; a school's own role says so itself).
    return user.memberships.filter(is_active=True, role__requires_two_factor=True).exists()


def second_factor_pending(user):
    """True while a user who must pass the TOTP step (see `user_requires_2fa`) has not passed it in
    this session. The one rule for workspace pages and for API requests made with a session."""
    if user is None or not user.is_authenticated:
        return False
    # OTPMiddleware gives the session's user `is_verified`; a user without it has not verified.
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    return user_requires_2fa(user)


class RequireTwoFactorMiddleware:
    """Platform admins and members whose role requires it must pass a TOTP check before any staff page.

    The API answers sessions with 403 `two_factor_required` instead of a redirect
    (`classpoint.api.permissions.SecondFactorVerified`); token requests are not sessions and are
    not affected (integrators use service users).
    """

    EXEMPT_PREFIXES = ("/account/", "/static/", "/api/", "/metrics", "/media/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and second_factor_pending(user)
        ):
            target = reverse("two-factor") + "?" + urlencode({"next": request.get_full_path()})
            if request.headers.get("HX-Request") == "true":
                response = HttpResponseRedirect(target)
                response.status_code = 204
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return self.get_response(request)
