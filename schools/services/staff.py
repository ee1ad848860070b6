"""A school's staff: invitations (a single-use, expiring link; only its hash is kept), accepting one
(one account per person across schools), and changing, suspending or removing a member's access.

Taking access away works at once: the member's API tokens for the school are revoked, their next
request to the school is a 404, and when no other school is left to them their sessions end."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.models import ApiToken
from classpoint.sessions import sessions_end

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import Membership, StaffInvite, StaffProfile
from ..people_selectors import people_memberships
from .roles import lock_members, manager_remains, role_grants

User = get_user_model()
INVITE_LIFETIME = datetime.timedelta(days=7)


def invite_token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(school, token):
    return settings.SITE_URL.rstrip("/") + reverse("people-invite-accept", args=[school.slug, token])


def invite_state(invite, now=None):
    """ "open", "accepted", "revoked" or "expired"."""
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


def user_for_email(email):
    """The one account of this address (people sign in with it at every school they work at)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return (
        User.objects.filter(email__iexact=email).order_by("pk").first()
        or User.objects.filter(username__iexact=email).order_by("pk").first()
    )


def _school_role(school, role):
    if role is None or role.school_id != school.pk:
        raise SchoolsError(
            _("Unknown role."), code=SchoolsErrorCode.UNKNOWN_ROLE, fields={"role": [_("Choose a role.")]}
        )
    return role


def _clean_email(email):
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SchoolsError(
            _("Invalid email."),
            code=SchoolsErrorCode.INVALID_EMAIL,
            fields={"email": [_("Enter a valid email address.")]},
        ) from exc
    return email


@transaction.atomic
def staff_invite(*, school, email, role, actor, first_name="", last_name="", send=True):
    """Invites `email` to the school's staff with `role`; an open invitation to the same address is
    replaced (its link stops working). Returns (invite, link); the link is mailed after commit."""
    email = _clean_email(email)
    role = _school_role(school, role)
    existing = user_for_email(email)
    if existing is not None:
        member = Membership.objects.filter(school=school, user=existing).first()
        if member is not None:
            hint = "" if member.is_active else " " + _("Their access is suspended: reactivate them instead.")
            raise SchoolsError(
                _("Already a member."),
                code=SchoolsErrorCode.ALREADY_MEMBER,
                fields={
                    "email": [
                        _("%(email)s is already a member of %(school)s.") % {"email": email, "school": school.name}
                        + hint
                    ]
                },
            )
    replaced = list(
        StaffInvite.objects.for_school(school)
        .select_for_update()
        .filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
    )
    now = timezone.now()
    for old in replaced:
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    invite = StaffInvite.objects.create(
        school=school,
        email=email,
        role=role,
        first_name=(first_name or "").strip()[:80],
        last_name=(last_name or "").strip()[:80],
        token_hash=invite_token_hash(token),
        invited_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
    )
    audit(
        school=school,
        actor=actor,
        action="staff.invited",
        target=invite,
        changes={"email": email, "role": role.key, "replaced": [old.pk for old in replaced]},
    )
    link = invite_url(school, token)
    if send:
        inviter = (actor.get_full_name() or actor.get_username()) if invite.invited_by else "Your school"
        local = timezone.localtime(invite.expires_at, school.tzinfo)
        expires = f"{local.day} {local:%B %Y}"
        body = (
            f"{inviter} invited you to work at {school.name} on Classpoint as {role.name}.\n\n"
            f"Set up your account (or add {school.name} to it): {link}\n\n"
            f"The link works once, until {expires}. If you did not expect it, ignore this email."
        )
        transaction.on_commit(
            lambda: send_mail(f"Join {school.name} on Classpoint", body, None, [email], fail_silently=True)
        )
    return invite, link


def staff_invite_resend(*, invite, actor):
    """A new link for the same person and role (the old one stops working), mailed again."""
    if invite.accepted_at is not None or invite.revoked_at is not None:
        _refuse_closed(invite)
    return staff_invite(
        school=invite.school,
        email=invite.email,
        role=invite.role,
        actor=actor,
        first_name=invite.first_name,
        last_name=invite.last_name,
    )


def _refuse_closed(invite):
    """Raises the error saying why this invitation's link no longer works."""
    state = invite_state(invite)
    if state == "accepted":
        raise SchoolsError(
            _("This invitation has been used already: sign in instead."), code=SchoolsErrorCode.INVITE_USED
        )
    if state == "revoked":
        raise SchoolsError(
            _("This invitation was withdrawn: ask the school for a new one."), code=SchoolsErrorCode.INVITE_REVOKED
        )
    raise SchoolsError(
        _("This invitation has expired: ask the school for a new one."), code=SchoolsErrorCode.INVITE_EXPIRED
    )


@transaction.atomic
def staff_invite_revoke(*, invite, actor):
    invite = StaffInvite.objects.for_school(invite.school).select_for_update().get(pk=invite.pk)
    if invite.accepted_at is not None or invite.revoked_at is not None:
        _refuse_closed(invite)
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    audit(
        school=invite.school, actor=actor, action="staff.invite_revoked", target=invite, changes={"email": invite.email}
    )
    return invite


@transaction.atomic
def staff_invite_accept(*, invite, password=None, first_name="", last_name=""):
    """Makes the invited person a member with the invited role. A new address gets an account with
    `password`; an account without a usable password (never set) gets it too; an account that has
    one is only given the membership. Returns the membership. A link works once, until it expires."""
    invite = StaffInvite.objects.for_school(invite.school).select_for_update().get(pk=invite.pk)
    if invite_state(invite) != "open":
        _refuse_closed(invite)
    school = invite.school
    user = user_for_email(invite.email)
    first_name = (first_name or invite.first_name).strip()[:150]
    last_name = (last_name or invite.last_name).strip()[:150]
    if user is None:
        user = User(username=invite.email, email=invite.email, first_name=first_name, last_name=last_name)
        _set_password(user, password)
        user.save()
        created = True
    else:
        created = False
        if not user.has_usable_password():
            user.first_name, user.last_name = user.first_name or first_name, user.last_name or last_name
            _set_password(user, password)
            user.save()
    if Membership.objects.filter(school=school, user=user).exists():
        raise SchoolsError(
            _("You are already a member of %(school)s: sign in instead.") % {"school": school.name},
            code=SchoolsErrorCode.ALREADY_MEMBER,
        )
    membership = Membership.objects.create(user=user, school=school, role=invite.role)
    _link_staff_profile(school, user, invite)
    invite.accepted_at, invite.accepted_by = timezone.now(), user
    invite.save(update_fields=["accepted_at", "accepted_by"])
    audit(
        school=school,
        actor=user,
        action="staff.invite_accepted",
        target=invite,
        changes={"email": invite.email, "role": invite.role.key, "new_account": created},
    )
    return membership


def _set_password(user, password):
    try:
        validate_password(password or "", user)
    except ValidationError as exc:
        raise SchoolsError(
            _("Choose another password."), code=SchoolsErrorCode.INVALID_PASSWORD, fields={"password": exc.messages}
        ) from exc
    user.set_password(password)


def _link_staff_profile(school, user, invite):
    """The staff record of the person at this school: theirs already, one kept for their address
    before they had an account, or a new one."""
    profiles = StaffProfile.objects.for_school(school)
    if profiles.filter(user=user).exists():
        return
    profile = profiles.filter(user__isnull=True, email__iexact=invite.email).order_by("pk").first()
    if profile is not None:
        profile.user = user
        profile.save(update_fields=["user"])
        return
    StaffProfile.objects.create(
        school=school,
        user=user,
        first_name=(user.first_name or invite.email.split("@")[0])[:80],
        last_name=user.last_name[:80],
        email=invite.email,
        is_teacher=role_grants(invite.role, "academics.enter_scores"),
    )


def _locked(membership):
    lock_members(membership.school)
    return (
        people_memberships(membership.school)
        .select_for_update(of=("self",))
        .select_related("role", "user")
        .get(pk=membership.pk)
    )


@transaction.atomic
def membership_role_change(*, membership, role, actor):
    membership = _locked(membership)
    school = membership.school
    role = _school_role(school, role)
    if role.pk == membership.role_id:
        return membership
    if membership.is_active and not role_grants(role, "school.manage"):
        manager_remains(school=school, leaving=membership, new_role=role)
    before = membership.role.key
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        school=school,
        actor=actor,
        action="membership.role_changed",
        target=membership,
        changes={"user": membership.user.get_username(), "role": [before, role.key]},
    )
    return membership


def _not_self(membership, actor, verb):
    if actor is not None and membership.user_id == getattr(actor, "pk", None):
        messages = {
            "suspend": _("You cannot suspend yourself: ask another admin."),
            "remove": _("You cannot remove yourself: ask another admin."),
        }
        raise SchoolsError(messages[verb], code=SchoolsErrorCode.NOT_ALLOWED_ON_SELF)


def _take_access(membership):
    """Revokes the member's API tokens for the school and, when no other school is left to them,
    ends their sessions. Returns what was taken, for the audit entry."""
    revoked = ApiToken.objects.for_school(membership.school).filter(user=membership.user, revoked_at__isnull=True)
    tokens = revoked.update(revoked_at=timezone.now())
    elsewhere = (
        Membership.objects.filter(user=membership.user, is_active=True).exclude(school=membership.school).exists()
    )
    ended = 0 if elsewhere or membership.user.is_staff else sessions_end(user=membership.user)
    if membership.user.email:  # an open invitation to the same address would let them back in
        StaffInvite.objects.for_school(membership.school).filter(
            email__iexact=membership.user.email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    return {"tokens_revoked": tokens, "sessions_ended": ended}


@transaction.atomic
def membership_suspend(*, membership, actor):
    membership = _locked(membership)
    _not_self(membership, actor, "suspend")
    if not membership.is_active:
        return membership
    manager_remains(school=membership.school, leaving=membership)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    taken = _take_access(membership)
    audit(
        school=membership.school,
        actor=actor,
        action="membership.suspended",
        target=membership,
        changes={"user": membership.user.get_username(), **taken},
    )
    return membership


@transaction.atomic
def membership_reactivate(*, membership, actor):
    membership = _locked(membership)
    if membership.is_active:
        return membership
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    audit(
        school=membership.school,
        actor=actor,
        action="membership.reactivated",
        target=membership,
        changes={"user": membership.user.get_username()},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership, actor):
    """Ends the person's membership of the school. Their account stays (other schools may know them),
    and so does their staff record, which history (timetables, scores) points at."""
    membership = _locked(membership)
    _not_self(membership, actor, "remove")
    if membership.is_active:
        manager_remains(school=membership.school, leaving=membership)
    membership.is_active = False
    taken = _take_access(membership)
    audit(
        school=membership.school,
        actor=actor,
        action="membership.removed",
        target=membership,
        changes={"user": membership.user.get_username(), "role": membership.role.key, **taken},
    )
    label = str(membership.user.get_full_name() or membership.user.get_username())
    membership.delete()
    return label
