"""Tenant resolution: the one place that decides which school a request is for and whether the
user may see it. A user who is not a member gets 404, exactly as for a school that does not exist."""

import functools

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from .metrics import TENANT_ACCESS_DENIED
from .scoping import enter_school

HOST_CACHE_SECONDS = 60
# Paths that are never tenant pages, whatever host they arrive on.
_GLOBAL_PREFIXES = (
    "/s/",
    "/api/",
    "/admin/",
    "/static/",
    "/media/",
    "/metrics",
    "/account/",
    "/files/",
    "/payments/",
    "/__",
)


@functools.cache
def _tenant_model(setting):
    """The model a setting names ("schools.Membership"), as get_user_model() reads AUTH_USER_MODEL:
    the kernel names the app that defines its tenants only in settings. Before the app registry is
    ready get_model raises, so only a resolved model is ever cached."""
    return apps.get_model(getattr(settings, setting))


def membership_model():
    return _tenant_model("CLASSPOINT_MEMBERSHIP_MODEL")


def school_domain_model():
    return _tenant_model("CLASSPOINT_SCHOOL_DOMAIN_MODEL")


def school_for_hostname(hostname):
    """The active-or-suspended school owning this hostname, or None. Cached briefly: every request
    on a custom domain asks."""
    hostname = (hostname or "").lower().split(":")[0].rstrip(".")
    if not hostname:
        return None
    key = f"school-host:{hostname}"
    slug = cache.get(key)
    if slug is None:
        domain = school_domain_model().objects.select_related("school").filter(hostname=hostname).first()
        slug = domain.school.slug if domain else ""
        cache.set(key, slug, HOST_CACHE_SECONDS)
    return slug or None


class SchoolHostMiddleware:
    """A request on a school's own hostname (greenfield.classpoint.ng, or a custom domain) is served
    as that school's workspace: `/students/` there is `/s/greenfield/students/`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.host_school_slug = None
        try:
            host = request.get_host()
        except DisallowedHost:  # CommonMiddleware answers it already
            host = ""
        slug = school_for_hostname(host) if host else None
        if slug:
            request.host_school_slug = slug
            path = request.path_info
            if path.startswith("/s/") and not path.startswith(f"/s/{slug}/"):
                # Another school's workspace on this school's hostname: it does not exist here.
                raise Http404("No such page")
            if not path.startswith(_GLOBAL_PREFIXES):
                request.path_info = f"/s/{slug}{path}"
        return self.get_response(request)


def membership_for(user, slug):
    """The user's active membership in the school with this slug, with school and role, or None.

    The school's profile comes along: every page prints money and dates the way it says (the
    currency display in classpoint.money, the letterhead), and reading it here costs no query."""
    if not user.is_authenticated:
        return None
    return (
        membership_model()
        .objects.select_related("school", "school__profile", "role")
        .filter(user=user, school__slug=slug, is_active=True)
        .first()
    )


def resolve_school(request, slug):
    """Sets request.school and request.membership, or raises Http404 (not a member, no such school)."""
    membership = membership_for(request.user, slug)
    if membership is None:
        TENANT_ACCESS_DENIED.inc()
        raise Http404("No such school")
    request.school = membership.school
    request.membership = membership
    # From here the request's school-scoped queries answer for this school only.
    enter_school(membership.school)
    return membership


def school_view(perm=None):
    """Decorator for workspace views taking `slug`: resolves the tenant, then checks the permission.

    A member without the permission knows the school exists, so they get 403, not 404.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            membership = resolve_school(request, slug)
            if not membership.school.is_active:
                return render(request, "workspace/suspended.html", {"school": membership.school}, status=403)
            if perm and not membership.has_perm(perm):
                return render(request, "403.html", {"perm": perm}, status=403)
            # Dates and times on the page are the school's local time.
            with timezone.override(membership.school.tzinfo):
                return view(request, *args, **kwargs)

        wrapper.required_perm = perm
        return wrapper

    return decorator
