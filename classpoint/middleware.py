import re
import uuid

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

from .context import client_ip_var, request_id_var

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_ip(request):
    # Behind a load balancer the real client is the first X-Forwarded-For hop; only trusted when
    # the deployment says a proxy sets it.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


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
                        "code": "payload_too_large",
                        "message": f"The request body is larger than {settings.CLASSPOINT_MAX_BODY_BYTES} bytes.",
                        "fields": {},
                    }
                },
                status=413,
            )
        return self.get_response(request)


def user_requires_2fa(user):
    if not settings.CLASSPOINT_REQUIRE_2FA or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return user.memberships.filter(is_active=True, role__key__in=settings.CLASSPOINT_2FA_ROLES).exists()


class RequireTwoFactorMiddleware:
    """School admins, bursars and platform admins must pass a TOTP check before any staff page.

    API token requests are not session-based and are not affected (integrators use service users).
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
            and not user.is_verified()
            and user_requires_2fa(user)
        ):
            target = reverse("two-factor") + "?" + urlencode({"next": request.get_full_path()})
            if request.headers.get("HX-Request") == "true":
                response = HttpResponseRedirect(target)
                response.status_code = 204
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return self.get_response(request)
