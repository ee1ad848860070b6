"""Reads of the People area: the school's members (people, not the service users behind API
tokens), its open invitations, roles with how many hold each, and its API tokens."""

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from classpoint.models import ApiToken

from .models import Membership, StaffInvite


def _service_users():
    return ApiToken.objects.filter(user_id=OuterRef("user_id"), service_account=True)


def people_memberships(school):
    """The school's memberships of people: a token's service user is a member too, but no person."""
    return Membership.objects.filter(school=school).exclude(Exists(_service_users()))


def members_list(*, school):
    return (
        people_memberships(school)
        .select_related("user", "role")
        .order_by("-is_active", "user__last_name", "user__first_name", "user__email", "pk")
    )


def member_of_school(*, school, membership_id):
    """A person's membership of this school, or None (another school's id, a token's service user)."""
    return people_memberships(school).select_related("user", "role").filter(pk=membership_id).first()


def pending_invites(*, school):
    """Invitations neither accepted nor withdrawn (expired ones too: they can be sent again)."""
    return (
        StaffInvite.objects.for_school(school)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("role", "invited_by")
        .order_by("-created_at", "-id")
    )


def invite_of_school(*, school, invite_id):
    return StaffInvite.objects.for_school(school).select_related("role").filter(pk=invite_id).first()


def roles_list(*, school):
    """The school's roles, defaults first, each with `people` (members holding it, suspended ones
    too) and `tokens` (active API tokens acting with it)."""
    roles = list(school.roles.order_by("is_custom", "name", "pk"))
    counts = (
        Membership.objects.filter(school=school)
        .annotate(service=Exists(_service_users()))
        .filter(Q(service=False) | Q(is_active=True))
        .values("role_id", "service")
        .annotate(n=Count("pk"))
    )
    held = {(row["role_id"], row["service"]): row["n"] for row in counts}
    for role in roles:
        role.people, role.tokens = held.get((role.pk, False), 0), held.get((role.pk, True), 0)
    return roles


def tokens_list(*, school):
    """The school's API tokens, newest first, each with its role's name (`role_name`)."""
    role = Membership.objects.filter(school=school, user_id=OuterRef("user_id")).values("role__name")[:1]
    return (
        ApiToken.objects.for_school(school)
        .select_related("created_by")
        .annotate(role_name=Subquery(role))
        .order_by("revoked_at", "-created_at", "-id")
    )


def token_of_school(*, school, token_id):
    return ApiToken.objects.for_school(school).filter(pk=token_id).first()
