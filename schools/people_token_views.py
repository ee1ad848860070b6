"""The school's API tokens: made here for an integration (a name and a role), shown once, kept
hashed, listed with their prefix, role and last use, and revoked at once."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from . import people_selectors as selectors
from .errors import SchoolsError
from .people_forms import TokenForm
from .people_views import PERM, confirm, error_text, posted
from .services.schools import api_token_create, api_token_revoke


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def tokens(request):
    school = request.school
    form = TokenForm(school, posted(request))
    issued, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                issued = api_token_create(
                    school=school, name=data["name"], role_key=data["role"].key, actor=request.user
                )
            except SchoolsError as exc:
                apply_domain_error(form, exc)
                status = 400
            else:
                form = TokenForm(school)
        else:
            status = 400
    context = {
        "form": form,
        "errors": error_summary(form),
        "issued": issued,
        "tokens": list(selectors.tokens_list(school=school)),
        "api_base": request.build_absolute_uri(f"/api/v1/schools/{school.slug}/"),
    }
    response = render(request, "schools/people/tokens.html", context, status=status)
    # The page may hold a key shown this once: no cache keeps a copy.
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def token_revoke(request, token_id):
    found = selectors.token_of_school(school=request.school, token_id=token_id)
    if found is None:
        raise Http404("No such token")
    if request.method == "GET":
        return confirm(
            request,
            title=_("Revoke API token"),
            question=_("Revoke the token “%(name)s” (%(prefix)s…)?") % {"name": found.name, "prefix": found.prefix},
            consequence=_(
                "At once: whatever uses it gets “401 Unauthorized” from its next request. "
                "This cannot be undone; make a new token to let it back."
            ),
            button=_("Revoke token"),
            cancel_url=reverse("people-tokens", args=[request.school.slug]),
        )
    try:
        api_token_revoke(token=found, actor=request.user)
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": found.name})
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
    return redirect("people-tokens", request.school.slug)
