from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .api.errors import json_404, json_500
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


def server_error(request):
    if _wants_json(request):
        return json_500(request)
    return render(request, "500.html", status=500)
