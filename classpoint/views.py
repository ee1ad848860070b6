import sys

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from .api.errors import json_404, json_500, json_503
from .tenancy import membership_model


@login_required
def workspace_home(request):
    """Pick a school (the switcher submits ?school=<slug>); with one membership go straight to it."""
    memberships = list(
        membership_model()
        .objects.filter(user=request.user, is_active=True)
        .select_related("school", "role")
        .order_by("school__name")
    )
    wanted = request.GET.get("school", "")
    chosen = next((m for m in memberships if m.school.slug == wanted), None)
    if chosen is not None:
        return redirect("school-home", slug=chosen.school.slug)
    if len(memberships) == 1:
        return redirect("school-home", slug=memberships[0].school.slug)
    return render(request, "workspace/choose_school.html", {"memberships": memberships})


def _wants_json(request):
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _wants_json(request):
        return json_404(request)
    return render(request, "404.html", status=404)


def forbidden(request, exception=None):
    return render(request, "403.html", status=403)


# How long a client is asked to wait when the database is away: a restart or failover takes seconds.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


def server_error(request):
    # A database that is down or restarting (refused, a connection cut mid-request, PgBouncer failing
    # its server login) is no fault of the page's: 503 with Retry-After tells the person, the client
    # and the balancer to try again in a moment. Django has logged the error either way.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable(request)
    if _wants_json(request):
        return json_500(request)
    return render(request, "500.html", status=500)


def database_unavailable(request):
    retry_after = UNAVAILABLE_RETRY_AFTER_SECONDS
    if _wants_json(request):
        response = json_503(request, retry_after=retry_after)
    else:
        # No request context: its processors read the database this page exists to do without.
        response = HttpResponse(render_to_string("503.html", {"retry_after": retry_after}), status=503)
        if request.headers.get("HX-Request") == "true":
            response["HX-Refresh"] = "true"  # htmx swaps no 5xx: reload, so the page says why
    response["Retry-After"] = str(retry_after)
    return response
