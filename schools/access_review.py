"""Reads behind the monthly access review (`manage.py access_review`): who can act at each school and
how (people, API tokens, open invitations), and who can act at every school (platform admins), each
row with the flags a reviewer acts on. Reads only; the review's decisions go through the People pages.

The members, invitations and tokens are the People area's own reads (people_selectors), so the review
lists exactly what a school admin sees there, plus when each was last used.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from .people_selectors import pending_invites, people_memberships, tokens_list

# An invitation lives a week (schools.services.staff.INVITE_LIFETIME): one still open after that
# was never taken up, and should be resent or withdrawn.
INVITE_REVIEW_AGE = datetime.timedelta(days=7)
DEFAULT_STALE_DAYS = 90


@dataclass
class ReviewRow:
    kind: str  # member, token, invite, platform_admin
    school: str  # the school's slug; "" for platform admins
    name: str
    email: str
    role: str
    status: str  # active / suspended (members, admins); active (tokens); open / expired (invites)
    created: datetime.datetime | None
    last_active: datetime.datetime | None  # last sign-in, or a token's last use
    two_factor: str  # "enrolled", "not enrolled"; "" where it does not apply (tokens, invites)
    two_factor_required: bool = False
    flags: list[str] = field(default_factory=list)


@dataclass
class SchoolReview:
    school: object
    members: list[ReviewRow]
    tokens: list[ReviewRow]
    invites: list[ReviewRow]

    @property
    def rows(self):
        return [*self.members, *self.tokens, *self.invites]


def _enrolled(user_ref):
    """A confirmed authenticator (an unconfirmed one is an enrolment begun and never finished)."""
    return Exists(TOTPDevice.objects.filter(user_id=OuterRef(user_ref), confirmed=True))


def _two_factor_enforced():
    return getattr(settings, "CLASSPOINT_REQUIRE_2FA", True)


def _sign_in_flags(last_login, *, now, stale_days):
    if last_login is None:
        return ["never signed in"]
    if last_login < now - datetime.timedelta(days=stale_days):
        return [f"no sign-in for {(now - last_login).days} days"]
    return []


def _person(user):
    return user.get_full_name().strip() or user.get_username()


def review_members(*, school, now, stale_days=DEFAULT_STALE_DAYS):
    """The school's people (service users behind tokens are listed as tokens), active ones first."""
    memberships = (
        people_memberships(school)
        .select_related("user", "role")
        .annotate(enrolled=_enrolled("user_id"))
        .order_by("-is_active", "user__last_name", "user__first_name", "user__email", "pk")
    )
    rows = []
    for membership in memberships:
        user = membership.user
        active = membership.is_active and user.is_active
        required = _two_factor_enforced() and (membership.role.requires_two_factor or user.is_staff)
        flags = []
        if not active:
            flags.append("suspended: remove if they have left")
        else:
            flags += _sign_in_flags(user.last_login, now=now, stale_days=stale_days)
            if required and not membership.enrolled:
                flags.append("2FA required, not enrolled")
        rows.append(
            ReviewRow(
                kind="member",
                school=school.slug,
                name=_person(user),
                email=user.email or user.get_username(),
                role=membership.role.name,
                status="active" if active else "suspended",
                created=membership.created_at,
                last_active=user.last_login,
                two_factor="enrolled" if membership.enrolled else "not enrolled",
                two_factor_required=required,
                flags=flags,
            )
        )
    return rows


def review_tokens(*, school, now, stale_days=DEFAULT_STALE_DAYS):
    """The school's live API tokens (revoked ones grant nothing), flagged when idle or never used."""
    stale_before = now - datetime.timedelta(days=stale_days)
    rows = []
    for token in tokens_list(school=school).filter(revoked_at__isnull=True).select_related("user"):
        flags = []
        if token.last_used_at is None:
            flags.append("never used: revoke if nothing needs it")
        elif token.last_used_at < stale_before:
            flags.append(f"unused for {(now - token.last_used_at).days} days: revoke if nothing needs it")
        if not token.service_account:
            flags.append("acts as a person (old-style token): replace with a service token")
        rows.append(
            ReviewRow(
                kind="token",
                school=school.slug,
                name=f"{token.name} ({token.prefix}…)",
                email=token.created_by.email if token.created_by else "",
                role=token.role_name or "",
                status="active",
                created=token.created_at,
                last_active=token.last_used_at,
                two_factor="",
                flags=flags,
            )
        )
    return rows


def review_invites(*, school, now):
    """Invitations still open a week after they were sent."""
    rows = []
    for invite in pending_invites(school=school).filter(created_at__lt=now - INVITE_REVIEW_AGE):
        expired = invite.expires_at <= now
        age = (now - invite.created_at).days
        rows.append(
            ReviewRow(
                kind="invite",
                school=school.slug,
                name=f"{invite.first_name} {invite.last_name}".strip() or invite.email,
                email=invite.email,
                role=invite.role.name,
                status="expired" if expired else "open",
                created=invite.created_at,
                last_active=None,
                two_factor="",
                flags=[f"{'expired, ' if expired else ''}pending {age} days: resend or withdraw"],
            )
        )
    return rows


def review_school(*, school, now, stale_days=DEFAULT_STALE_DAYS):
    return SchoolReview(
        school=school,
        members=review_members(school=school, now=now, stale_days=stale_days),
        tokens=review_tokens(school=school, now=now, stale_days=stale_days),
        invites=review_invites(school=school, now=now),
    )


def review_platform_admins(*, now, stale_days=DEFAULT_STALE_DAYS):
    """Accounts that reach the platform admin (and with it every school): active staff and superusers."""
    User = get_user_model()
    admins = (
        User.objects.filter(Q(is_staff=True) | Q(is_superuser=True), is_active=True)
        .annotate(enrolled=_enrolled("pk"))
        .order_by("last_name", "first_name", "email", "pk")
    )
    rows = []
    for user in admins:
        required = _two_factor_enforced()
        flags = _sign_in_flags(user.last_login, now=now, stale_days=stale_days)
        if required and not user.enrolled:
            flags.append("2FA required, not enrolled")
        rows.append(
            ReviewRow(
                kind="platform_admin",
                school="",
                name=_person(user),
                email=user.email or user.get_username(),
                role="superuser" if user.is_superuser else "staff",
                status="active",
                created=user.date_joined,
                last_active=user.last_login,
                two_factor="enrolled" if user.enrolled else "not enrolled",
                two_factor_required=required,
                flags=flags,
            )
        )
    return rows
