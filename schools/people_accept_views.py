"""The page an invitation's link opens, for someone who may not have an account yet: no sign-in is
needed, the link is the key (single use, expiring; only its hash is kept). A new person sets a
password here and is signed in (and sent to enrol an authenticator where the role requires it);
someone who already has an account, at this or any school, is only given the membership."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from classpoint.forms import apply_domain_error, error_summary
from classpoint.middleware import user_requires_2fa
from classpoint.scoping import enter_school

from . import selectors
from .errors import SchoolsError
from .models import StaffInvite
from .people_forms import AcceptForm
from .people_views import posted
from .services.staff import invite_state, invite_token_hash, staff_invite_accept, user_for_email

BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@require_http_methods(["GET", "POST"])
def invite_accept(request, slug, token):
    school = selectors.school_active(slug=slug)
    if school is None:
        raise Http404("No such invitation")
    enter_school(school)
    invite = (
        StaffInvite.objects.for_school(school)
        .select_related("role")
        .filter(token_hash=invite_token_hash(token))
        .first()
    )
    if invite is None:
        raise Http404("No such invitation")
    context = {"school_name": school.name, "invite": invite}
    state = invite_state(invite)
    if state != "open":
        return render(request, "schools/people/invite_closed.html", {**context, "state": state}, status=410)
    account = user_for_email(invite.email)
    if request.user.is_authenticated and request.user != account:
        # Accepting now would give the invitation to whoever happens to be signed in on this browser.
        return render(request, "schools/people/invite_other_account.html", context, status=409)
    home = reverse("school-home", args=[school.slug])
    if account is not None and account.has_usable_password():
        if request.method == "POST":
            try:
                staff_invite_accept(invite=invite)
            except SchoolsError as exc:
                messages.error(request, exc.message)
                return redirect(home if request.user.is_authenticated else reverse("login"))
            messages.success(request, _("%(school)s is added to your account.") % {"school": school.name})
            if request.user.is_authenticated:
                return redirect(home)
            return redirect_to_login(home)
        return render(request, "schools/people/invite_join.html", context)
    initial = {"first_name": invite.first_name or getattr(account, "first_name", "")}
    initial["last_name"] = invite.last_name or getattr(account, "last_name", "")
    form = AcceptForm(posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = staff_invite_accept(
                    invite=invite,
                    password=data["password1"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            except SchoolsError as exc:
                apply_domain_error(form, exc, rename={"password": "password1"})
            else:
                login(request, membership.user, backend=BACKEND)
                messages.success(request, _("Welcome to %(school)s.") % {"school": school.name})
                if user_requires_2fa(membership.user):
                    return redirect(reverse("two-factor") + "?" + urlencode({"next": home}))
                return redirect(home)
        status = 400
    context.update(form=form, errors=error_summary(form))
    return render(request, "schools/people/invite_accept.html", context, status=status)
