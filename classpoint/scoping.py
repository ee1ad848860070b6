"""Tenancy that cannot be forgotten: every school-scoped model's default manager (`SchoolScoped`)
is a django-scopes manager. Inside a request it answers only for the request's school and refuses
a query before the school is known; outside a request (a sweep, a handler, a command) scopes are
on as well, so code that spans schools says so here, with its reason.

- Every request runs in a scope (`RequestScopeMiddleware`): enabled, with no school until the
  tenant is resolved (`classpoint.tenancy.resolve_school`, the API's `SchoolApiView` and the
  public pages that find their school from a slug or a signed link call `enter_school`).
- An outbox handler runs in its event's school (`classpoint.outbox.worker`).
- A sweep, a command or the platform console states `unscoped(reason=...)`, as a context manager
  or a decorator. The reason is the code's comment and is kept on the scope for debugging.
"""

import contextlib

from django.utils import timezone
from django_scopes import ScopeError, get_scope, scope
from django_scopes.state import state

__all__ = [
    "ScopeError",
    "enter_platform",
    "enter_school",
    "enter_schools",
    "for_school",
    "school_of",
    "scope_school",
    "unscoped",
    "RequestScopeMiddleware",
]


class unscoped(contextlib.ContextDecorator):
    """Queries here may span schools. `reason` is required: say why this code is not one school's."""

    def __init__(self, *, reason):
        if not reason or not reason.strip():
            raise ValueError("unscoped() needs a reason")
        self.reason = reason

    def __enter__(self):
        self._cm = scope(_enabled=False, _unscoped_reason=self.reason)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def for_school(school):
    """Context manager: queries answer for this one school (a handler, a task about one school)."""
    if school is None:  # django-scopes reads None as "no filter": never let a missing school widen a scope
        raise ValueError("for_school() needs a school")
    return scope(school=school)


def school_of(model, pk):
    """The id of the school owning row `pk` of `model`, or None: a task is handed a row id, and the
    row names the school the task then works in (`with for_school(school_of(Job, job_id))`)."""
    with unscoped(reason="a task is handed a row id; the row names its school"):
        return model.objects.filter(pk=pk).values_list("school_id", flat=True).first()


def enter_school(school):
    """Binds the current request's scope to its school, once the tenant is resolved. Only valid
    inside `RequestScopeMiddleware` (or another open scope): that scope's exit undoes it."""
    current = get_scope()
    if not current:
        raise ScopeError("enter_school() outside a request scope")
    state.set({**current, "_enabled": True, "school": school})
    # Times on the page are the school's local time: a public page reached by a signed link has no
    # staff page's decorator to set the clock, and entering the school is the one step all share.
    tzinfo = getattr(school, "tzinfo", None)
    if tzinfo is not None:
        timezone.activate(tzinfo)


def enter_schools(schools):
    """Like `enter_school` for a request that verifiably speaks for several schools at once (a
    provider's reply to a number several schools send from): queries answer for those only."""
    enter_school([getattr(s, "pk", s) for s in schools])


def enter_platform(*, reason):
    """The request is a platform operator's, across schools (checked by the caller: staff only)."""
    current = get_scope()
    if not current:
        raise ScopeError("enter_platform() outside a request scope")
    state.set({**current, "_enabled": False, "_unscoped_reason": reason})


def scope_school():
    """The school the current scope is bound to, or None."""
    return get_scope().get("school")


class RequestScopeMiddleware:
    """Opens the request's scope: school-scoped queries raise until the tenant is resolved. The
    platform console (Django admin, staff only) spans schools by design."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            with unscoped(reason="Django admin: platform operators work across schools"):
                return self.get_response(request)
        try:
            with scope():
                return self.get_response(request)
        finally:
            timezone.deactivate()  # the school's clock (enter_school) ends with its request
