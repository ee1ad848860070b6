"""Roles in the People area: the defaults (seeded, shown as they are) and the school's own, copied
from one and edited: a name, whether its members pass the two-step sign-in, and its permissions
ticked from the catalogue the apps declare, grouped by app."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.forms import apply_domain_error, error_summary
from classpoint.permissions import permission_groups
from classpoint.tenancy import school_view

from . import people_selectors as selectors
from .errors import SchoolsError
from .people_forms import RoleForm
from .people_views import PERM, confirm, error_text, posted
from .services import roles as role_services


@require_GET
@school_view(perm=PERM)
def roles(request):
    return render(request, "schools/people/roles.html", {"roles": selectors.roles_list(school=request.school)})


def _role(request, role_id):
    found = request.school.roles.filter(pk=role_id).first()
    if found is None:
        raise Http404("No such role")
    return found


def _groups(ticked):
    """The catalogue grouped by app, each permission with whether it is ticked."""
    return [
        (label, [{"code": code, "label": text, "ticked": code in ticked} for code, text in codes.items()])
        for label, codes in permission_groups()
    ]


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def role_edit(request, role_id):
    """A default role is shown read-only (copy it to change it); a custom role is edited here."""
    found = _role(request, role_id)
    held = role_services.role_codes(found)
    initial = {"name": found.name, "requires_two_factor": found.requires_two_factor, "permissions": sorted(held)}
    form = RoleForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        if not found.is_custom:
            messages.error(
                request, _("“%(role)s” is a default role: copy it and change the copy.") % {"role": found.name}
            )
            return redirect("people-role", request.school.slug, found.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                role_services.role_update(
                    role=found,
                    actor=request.user,
                    name=data["name"],
                    permissions=data["permissions"],
                    requires_two_factor=data["requires_two_factor"],
                )
            except SchoolsError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, _("“%(role)s” is saved; its members have these permissions now.") % {"role": data["name"]}
                )
                return redirect("people-roles", request.school.slug)
        status = 400
        held = set(request.POST.getlist("permissions"))
    context = {
        "role": found,
        "form": form,
        "errors": error_summary(form),
        "groups": _groups(held),
        "people": selectors.people_memberships(request.school).filter(role=found).count(),
    }
    return render(request, "schools/people/role.html", context, status=status)


@school_view(perm=PERM)
@require_POST
def role_copy(request, role_id):
    found = _role(request, role_id)
    try:
        copy = role_services.role_copy(role=found, actor=request.user)
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
        return redirect("people-roles", request.school.slug)
    messages.success(request, _("“%(role)s” made: name it and tick what it may do.") % {"role": copy.name})
    return redirect("people-role", request.school.slug, copy.pk)


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def role_delete(request, role_id):
    found = _role(request, role_id)
    if request.method == "GET":
        return confirm(
            request,
            title=_("Delete role"),
            question=_("Delete the role “%(role)s”?") % {"role": found.name},
            consequence=_("Only a role nobody holds can be deleted. This cannot be undone."),
            button=_("Delete role"),
            cancel_url=reverse("people-role", args=[request.school.slug, found.pk]),
        )
    try:
        role_services.role_delete(role=found, actor=request.user)
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
        return redirect("people-role", request.school.slug, found.pk)
    messages.success(request, _("The role “%(role)s” is deleted.") % {"role": found.name})
    return redirect("people-roles", request.school.slug)
