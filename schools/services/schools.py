"""Provisioning a school (profile, domain, roles, first admin), memberships and API tokens."""

import re
import secrets
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from classpoint.api.auth import new_key
from classpoint.audit import audit
from classpoint.models import ApiToken
from classpoint.outbox import emit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import Membership, Role, School, SchoolDomain, SchoolProfile, validate_slug
from ..roles import DEFAULT_ROLES, TWO_FACTOR_ROLES, default_role_permissions

User = get_user_model()
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _validate_school_input(*, slug, name, admin_email, timezone, currency, country):
    errors = {}
    try:
        validate_slug(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    else:
        if School.objects.filter(slug=slug).exists():
            errors["slug"] = [_("A school with the slug “%(slug)s” already exists.") % {"slug": slug}]
    if not (name or "").strip():
        errors["name"] = [_("Enter the school's name.")]
    try:
        validate_email(admin_email or "")
    except ValidationError:
        errors["admin_email"] = [_("Enter a valid email address.")]
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = [
            _("“%(timezone)s” is not a known time zone (e.g. Africa/Lagos).") % {"timezone": timezone}
        ]
    if not _CURRENCY_RE.match(currency or ""):
        errors["currency"] = [_("Use a three-letter ISO currency code, e.g. NGN.")]
    if not re.match(r"^[A-Z]{2}$", country or ""):
        errors["country"] = [_("Use a two-letter ISO country code, e.g. NG.")]
    if errors:
        raise SchoolsError(
            _("The school could not be provisioned."), code=SchoolsErrorCode.INVALID_SCHOOL, fields=errors
        )


def roles_seed(*, school):
    """Create the default roles a school lacks; existing roles keep their (possibly edited) permissions."""
    for key, (name, _permissions) in DEFAULT_ROLES.items():
        Role.objects.get_or_create(
            school=school,
            key=key,
            defaults={
                "name": name,
                "permissions": default_role_permissions(key),
                "requires_two_factor": key in TWO_FACTOR_ROLES,
            },
        )


def _invitation_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])


def _user_for_email(email, *, first_name="", last_name=""):
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first() or User.objects.filter(username__iexact=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def school_provision(
    *,
    slug,
    name,
    admin_email,
    timezone="Africa/Lagos",
    currency="NGN",
    country="NG",
    actor=None,
    admin_first_name="",
    admin_last_name="",
    send_invitation=True,
):
    """School + profile + default domain + roles + first admin (invited to set a password).

    Returns (school, invitation_url). Invalid or duplicate input raises SchoolsError, nothing written.
    """
    slug = (slug or "").strip().lower()
    currency = (currency or "").strip().upper()
    country = (country or "").strip().upper()
    _validate_school_input(
        slug=slug, name=name, admin_email=admin_email, timezone=timezone, currency=currency, country=country
    )
    hostname = f"{slug}.{settings.CLASSPOINT_DOMAIN_SUFFIX}"
    if SchoolDomain.objects.filter(hostname=hostname).exists():
        raise SchoolsError(
            _("The school could not be provisioned."),
            code=SchoolsErrorCode.SLUG_TAKEN,
            fields={"slug": [_("%(hostname)s is taken.") % {"hostname": hostname}]},
        )
    try:
        with transaction.atomic():
            school = School.objects.create(
                slug=slug, name=name.strip(), timezone=timezone, currency=currency, country=country
            )
    except IntegrityError as exc:  # lost a race for the same slug
        raise SchoolsError(
            _("The school could not be provisioned."),
            code=SchoolsErrorCode.SLUG_TAKEN,
            fields={"slug": [_("A school with the slug “%(slug)s” already exists.") % {"slug": slug}]},
        ) from exc
    SchoolProfile.objects.create(school=school, email=admin_email.strip().lower())
    SchoolDomain.objects.create(school=school, hostname=hostname, is_primary=True)
    roles_seed(school=school)
    admin = _user_for_email(admin_email, first_name=admin_first_name, last_name=admin_last_name)
    Membership.objects.create(user=admin, school=school, role=school.roles.get(key="school_admin"))
    link = _invitation_url(admin)
    audit(
        school=school,
        actor=actor,
        action="school.provisioned",
        target=school,
        changes={"slug": slug, "name": school.name, "admin_email": admin.email, "hostname": hostname},
    )
    emit(school=school, event_type="school.provisioned", payload={"school_id": school.pk}, dedupe_key="provisioned")
    if send_invitation:
        transaction.on_commit(
            lambda: send_mail(
                f"You are the admin of {school.name} on Classpoint",
                f"Set your password and sign in: {link}\n\nThe link works for three days.",
                None,
                [admin.email],
                fail_silently=True,
            )
        )
    return school, link


@transaction.atomic
def membership_grant(*, school, user, role_key, actor=None):
    role = school.roles.filter(key=role_key).first()
    if role is None:
        raise SchoolsError(
            _("Unknown role."),
            code=SchoolsErrorCode.UNKNOWN_ROLE,
            fields={"role": [_("No role “%(role)s”.") % {"role": role_key}]},
        )
    membership, created = Membership.objects.update_or_create(
        user=user, school=school, defaults={"role": role, "is_active": True}
    )
    audit(
        school=school,
        actor=actor,
        action="membership.granted",
        target=membership,
        changes={"user": user.get_username(), "role": role_key, "created": created},
    )
    return membership


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: `key` is shown once and kept nowhere (the row holds its hash)."""

    token: ApiToken
    key: str


TOKEN_NAME_MAX = 100


@transaction.atomic
def api_token_create(*, school, name, role_key, actor=None):
    """An integration token for the school: a service user of its own, a member of this school only
    with the chosen role, and the key, returned once (only its SHA-256 is stored)."""
    name = (name or "").strip()
    if not name or len(name) > TOKEN_NAME_MAX:
        message = (
            _("Name the token (what uses it).")
            if not name
            else _("Keep the name to %(max)s characters.") % {"max": TOKEN_NAME_MAX}
        )
        raise SchoolsError(
            _("The token could not be made."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields={"name": [message]}
        )
    role = school.roles.filter(key=role_key).first()
    if role is None:
        raise SchoolsError(
            _("Unknown role."),
            code=SchoolsErrorCode.UNKNOWN_ROLE,
            fields={"role": [_("No role “%(role)s”.") % {"role": role_key}]},
        )
    key, prefix, hashed = new_key()
    # Service users sign in with nothing but their key, and are nobody's to reuse.
    user = User(username=f"api-{school.slug}-{prefix}-{secrets.token_hex(4)}", first_name=name[:150])
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, school=school, role=role)
    token = ApiToken.objects.create(
        school=school,
        user=user,
        name=name,
        prefix=prefix,
        key_hash=hashed,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        school=school, actor=actor, action="api_token.created", target=token, changes={"name": name, "role": role.key}
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, token, actor=None):
    """Stops the token at once: its next request is a 401. Its service user's membership ends too."""
    token = ApiToken.objects.for_school(token.school).select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise SchoolsError(_("This token was revoked already."), code=SchoolsErrorCode.TOKEN_REVOKED)
    token.revoked_at = dj_timezone.now()
    token.save(update_fields=["revoked_at"])
    if token.service_account:
        Membership.objects.filter(school=token.school, user=token.user).update(is_active=False)
    audit(school=token.school, actor=actor, action="api_token.revoked", target=token, changes={"name": token.name})
    return token
