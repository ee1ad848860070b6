"""The People area for school admins: who works here (members and their roles, suspended or not,
last sign-in), invitations, and what a member may do. Roles and API tokens have their own modules.

Actions that take access away ask first: their GET is the question, their POST the act. A member or
invitation of another school is a 404, like the school itself."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classpoint.forms import apply_domain_error, error_summary
from classpoint.tenancy import school_view

from . import people_selectors as selectors
from .errors import SchoolsError
from .people_forms import InviteForm, RoleChangeForm
from .services import staff
from .services.roles import role_grants
from .services.staff import invite_state

PERM = "school.manage"


def posted(request):
    """The form's data on a POST, even an empty one (which must show "required", not a blank form)."""
    return request.POST if request.method == "POST" else None


def error_text(exc):
    detail = "; ".join(m for msgs in exc.fields.values() for m in ([msgs] if isinstance(msgs, str) else msgs))
    return f"{exc.message} {detail}".strip()


def confirm(request, *, title, question, consequence, button, cancel_url):
    """The question a destructive action asks before it acts (a POST to the same address acts)."""
    context = {"title": title, "question": question, "consequence": consequence, "button": button}
    return render(request, "schools/people/confirm.html", {**context, "cancel_url": cancel_url})


@require_GET
@school_view(perm=PERM)
def members(request):
    school = request.school
    rows = list(selectors.members_list(school=school))
    invites = list(selectors.pending_invites(school=school))
    for invite in invites:
        invite.state = invite_state(invite)
    context = {"members": rows, "invites": invites, "active_count": sum(1 for m in rows if m.is_active)}
    return render(request, "schools/people/members.html", context)


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def invite(request):
    school = request.school
    form = InviteForm(school, posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                new, _created = staff.staff_invite(
                    school=school,
                    email=data["email"],
                    role=data["role"],
                    actor=request.user,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            except SchoolsError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s. The link works once, for 7 days.") % {"email": new.email}
                )
                return redirect("people", school.slug)
        status = 400
    return render(request, "schools/people/invite.html", {"form": form, "errors": error_summary(form)}, status=status)


def _invite(request, invite_id):
    found = selectors.invite_of_school(school=request.school, invite_id=invite_id)
    if found is None:
        raise Http404("No such invitation")
    return found


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def invite_revoke(request, invite_id):
    found = _invite(request, invite_id)
    if request.method == "GET":
        return confirm(
            request,
            title=_("Withdraw invitation"),
            question=_("Withdraw the invitation to %(email)s?") % {"email": found.email},
            consequence=_("The link in their email stops working. You can invite them again later."),
            button=_("Withdraw invitation"),
            cancel_url=_people(request),
        )
    try:
        staff.staff_invite_revoke(invite=found, actor=request.user)
        messages.success(request, _("The invitation to %(email)s is withdrawn.") % {"email": found.email})
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
    return redirect("people", request.school.slug)


@school_view(perm=PERM)
@require_POST
def invite_resend(request, invite_id):
    found = _invite(request, invite_id)
    try:
        staff.staff_invite_resend(invite=found, actor=request.user)
        messages.success(
            request, _("A new link was sent to %(email)s; the old one no longer works.") % {"email": found.email}
        )
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
    return redirect("people", request.school.slug)


def _people(request):
    return reverse("people", args=[request.school.slug])


def _member(request, membership_id):
    found = selectors.member_of_school(school=request.school, membership_id=membership_id)
    if found is None:
        raise Http404("No such member")
    return found


def _name(membership):
    return membership.user.get_full_name() or membership.user.email or membership.user.get_username()


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def member(request, membership_id):
    """A member's page: who they are, their role (changeable here), and the ways to take access away."""
    found = _member(request, membership_id)
    form = RoleChangeForm(request.school, posted(request), initial={"role": found.role_id})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                staff.membership_role_change(membership=found, role=form.cleaned_data["role"], actor=request.user)
            except SchoolsError as exc:
                apply_domain_error(form, exc)
            else:
                role = form.cleaned_data["role"]
                messages.success(request, _("%(name)s is now %(role)s.") % {"name": _name(found), "role": role.name})
                if found.user_id == request.user.pk and not role_grants(role, PERM):
                    # They just gave up this area themselves.
                    return redirect("school-home", request.school.slug)
                return redirect("people-member", request.school.slug, found.pk)
        status = 400
    context = {"member": found, "name": _name(found), "form": form, "is_self": found.user_id == request.user.pk}
    return render(request, "schools/people/member.html", context, status=status)


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def member_suspend(request, membership_id):
    found = _member(request, membership_id)
    if request.method == "GET":
        return confirm(
            request,
            title=_("Suspend access"),
            question=_("Suspend %(name)s's access to %(school)s?")
            % {"name": _name(found), "school": request.school.name},
            consequence=_(
                "At once: they can no longer open this school's pages, their API tokens here are revoked, "
                "and if this was their only school they are signed out. You can reactivate them later."
            ),
            button=_("Suspend access"),
            cancel_url=_member_url(request, found),
        )
    try:
        staff.membership_suspend(membership=found, actor=request.user)
        messages.success(request, _("%(name)s's access is suspended.") % {"name": _name(found)})
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
    return redirect("people-member", request.school.slug, found.pk)


@school_view(perm=PERM)
@require_POST
def member_reactivate(request, membership_id):
    found = _member(request, membership_id)
    staff.membership_reactivate(membership=found, actor=request.user)
    messages.success(
        request, _("%(name)s can use %(school)s again.") % {"name": _name(found), "school": request.school.name}
    )
    return redirect("people-member", request.school.slug, found.pk)


@require_http_methods(["GET", "POST"])
@school_view(perm=PERM)
def member_remove(request, membership_id):
    found = _member(request, membership_id)
    if request.method == "GET":
        return confirm(
            request,
            title=_("Remove from the school"),
            question=_("Remove %(name)s from %(school)s?") % {"name": _name(found), "school": request.school.name},
            consequence=_(
                "At once: they lose access to this school, their API tokens here are revoked, and if this "
                "was their only school they are signed out. Their account and their staff record stay; to let them "
                "back, invite them again."
            ),
            button=_("Remove from the school"),
            cancel_url=_member_url(request, found),
        )
    try:
        label = staff.membership_remove(membership=found, actor=request.user)
    except SchoolsError as exc:
        messages.error(request, error_text(exc))
        return redirect("people-member", request.school.slug, found.pk)
    messages.success(
        request, _("%(name)s no longer has access to %(school)s.") % {"name": label, "school": request.school.name}
    )
    return redirect("people", request.school.slug)


def _member_url(request, found):
    return reverse("people-member", args=[request.school.slug, found.pk])
