from .flags import request_features
from .tenancy import membership_model


def workspace(request):
    """The current school (when the view resolved one) and the user's schools for the switcher.

    Lazy: pages that never render the switcher never run its query."""
    user = getattr(request, "user", None)

    def schools():
        if not user or not user.is_authenticated:
            return []
        return list(
            membership_model()
            .objects.filter(user=user, is_active=True)
            .select_related("school")
            .order_by("school__name")
        )

    return {
        "school": getattr(request, "school", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": schools,
    }


def features(request):
    """`features`: the current school's switches (classpoint.flags), read once per request and only
    when a template asks (`{% if features.attendance %}`): the nav hides a switched-off module."""
    return {"features": request_features(request)}
