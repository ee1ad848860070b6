"""Maintenance mode: the operator's lever to stop every write on the platform while reads go on
(`manage.py maintenance on|off|status`).

The switch is one database row (`MaintenanceMode`), read at most once per request and only by the
requests that need it (a write, a staff page showing the banner), so every web node obeys it from
its next request, with no restart. It is deliberately not cached across requests: a cache that
expires on the clock makes a page's query count depend on when it is asked, and the budgets that
tests hold every page to would flicker. One primary-key read of a one-row table is the whole cost.

While on, a write (POST, PUT, PATCH, DELETE) answers 503 with Retry-After: a page for people, the
API's error shape for /api/. What must keep working is let through: signing in (and out, and the
TOTP step), payment webhooks and messaging providers' callbacks (the provider would otherwise
retry, or give up and lose a payment), and platform superusers in the Django admin, so the
operator can fix what the maintenance is for.
"""

import getpass
import logging
import math
import socket
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme

from .audit import audit
from .errors import DomainError, ErrorCode
from .models import MaintenanceMode

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# URL names whose writes go on during maintenance. Named as strings: the kernel imports no app.
SIGN_IN_URLS = frozenset({"login", "logout", "two-factor", "admin:login", "admin:logout"})
PROVIDER_CALLBACK_URLS = frozenset(
    {"payments-webhook", "twilio-status-callback", "twilio-inbound-callback", "ses-sns-callback"}
)
DEFAULT_RETRY_AFTER = 300
MAX_RETRY_AFTER = 24 * 3600


class MaintenanceErrorCode(ErrorCode):
    MAINTENANCE = "maintenance"


class MaintenanceError(DomainError):
    """What the API answers a write with while maintenance is on (the schema lists the code)."""

    codes = MaintenanceErrorCode
    code = MaintenanceErrorCode.MAINTENANCE
    status_code = 503


@dataclass(frozen=True)
class State:
    enabled: bool = False
    message: str = ""
    retry_after: int = DEFAULT_RETRY_AFTER
    since: datetime | None = None
    set_by: str = ""


def operator_name():
    """Who runs a command (user@host), as the audit log and the status lines name them."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - some containers have no login name; the host still says where
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:150]


def read_state():
    row = MaintenanceMode.objects.filter(pk=1).first()
    if row is None:
        return State()
    return State(row.enabled, row.message, row.retry_after, row.since, row.set_by)


# --- Turning it on and off (the management command) -----------------------------------------


def maintenance_on(*, by, message=None, retry_after=None):
    """Turn maintenance on, or, when it is on already, change what is given of its message and
    Retry-After; returns (state, "started" | "updated" | "unchanged"). Recorded in the platform's
    audit log (no school)."""
    if retry_after is not None and not 1 <= retry_after <= MAX_RETRY_AFTER:
        raise ValueError(f"--retry-after must be between 1 and {MAX_RETRY_AFTER} seconds")
    with transaction.atomic():
        row, _ = MaintenanceMode.objects.select_for_update().get_or_create(pk=1)
        was_on = row.enabled
        if not was_on:
            row.enabled, row.since, row.set_by = True, timezone.now(), by[:150]
            row.message, row.retry_after = "", DEFAULT_RETRY_AFTER
        before = (row.message, row.retry_after)
        row.message = row.message if message is None else message.strip()[:500]
        row.retry_after = row.retry_after if retry_after is None else retry_after
        if was_on and (row.message, row.retry_after) == before:
            return _state(row), "unchanged"
        row.save()
        audit(
            school=None,
            actor=None,
            action="maintenance.updated" if was_on else "maintenance.started",
            changes={"message": row.message, "retry_after": row.retry_after, "by": by},
        )
    log.warning("maintenance %s by %s: %s", "updated" if was_on else "ON", by, row.message or "(no message)")
    return _state(row), "updated" if was_on else "started"


def maintenance_off(*, by):
    """Turn maintenance off; returns (state, changed)."""
    with transaction.atomic():
        row, _ = MaintenanceMode.objects.select_for_update().get_or_create(pk=1)
        if not row.enabled:
            return _state(row), False
        started = row.since
        row.enabled, row.since, row.set_by = False, timezone.now(), by[:150]
        row.save()
        audit(
            school=None,
            actor=None,
            action="maintenance.ended",
            changes={
                "started": started.isoformat(),
                "minutes": round((row.since - started).total_seconds() / 60, 1),
                "by": by,
            },
        )
    log.warning("maintenance OFF by %s", by)
    return _state(row), True


def _state(row):
    return State(row.enabled, row.message, row.retry_after, row.since, row.set_by)


# --- Enforcing it ---------------------------------------------------------------------------


def write_allowed(request):
    """Whether this write goes on during maintenance (the request has been resolved)."""
    match = request.resolver_match
    if match is None:
        return False
    if match.view_name in SIGN_IN_URLS or match.url_name in PROVIDER_CALLBACK_URLS:
        return True
    user = getattr(request, "user", None)
    return match.namespace == "admin" and bool(user and user.is_authenticated and user.is_superuser)


class MaintenanceMiddleware:
    """Gives every request `request.maintenance` (a `State`, read from the database only when
    something looks at it) and refuses writes while maintenance is on. Runs after authentication,
    so it knows a superuser, and decides in `process_view`, once the URL is resolved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.maintenance = SimpleLazyObject(read_state)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in READ_METHODS or not request.maintenance.enabled or write_allowed(request):
            return None
        return refusal(request, request.maintenance)


def refusal(request, state):
    if request.path.startswith("/api/"):
        from .api.errors import error_body

        text = (
            "The service is in maintenance: changes are refused until it ends; reads still work. "
            f"Retry after {state.retry_after} seconds."
        )
        error = MaintenanceError(f"{text} {state.message}".strip(), code=MaintenanceErrorCode.MAINTENANCE)
        response = JsonResponse(error_body(error.code, error.message), status=error.status_code)
    else:
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("workspace-home")
        context = {"maintenance": state, "retry_minutes": max(math.ceil(state.retry_after / 60), 1), "back": back}
        response = render(request, "maintenance.html", context, status=503)
        if request.headers.get("HX-Request") == "true":
            # htmx swaps no 5xx: reload the page instead, so the banner says why nothing happened.
            response["HX-Refresh"] = "true"
    response["Retry-After"] = str(state.retry_after)
    # A refusal is the switch working, not a server error: Django would log every 503 as an ERROR
    # (and page whoever watches those) for as long as maintenance lasts.
    log.info("maintenance: refused %s %s", request.method, request.path)
    response._has_been_logged = True
    return response
