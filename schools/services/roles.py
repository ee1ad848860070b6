"""A school's own roles: copied from a default (or another custom role), named, given permissions
from the catalogue the apps declare, and deleted when nobody holds them. The default roles stay as
seeded: a school that wants a different set copies one and edits the copy.

This is the role editor's module, the one place that reads a role's codes directly; everything else
asks `membership.has_perm(code)`."""

import secrets

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from classpoint.audit import audit
from classpoint.permissions import all_permissions

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import Membership, Role
from ..people_selectors import people_memberships

MANAGE = "school.manage"
NAME_MAX = 80


def role_codes(role_row):
    """The codes a role holds, as a set (for the editor's ticks and the last-admin rule)."""
    return set(role_row.permissions or [])


def role_grants(role_row, code):
    return code in role_codes(role_row)


def lock_members(school):
    """Locks the school's active memberships, in one order, before a change that must know who can
    still manage the school: two such changes at once then run one after the other (each taking its
    rows in its own order could deadlock)."""
    list(Membership.objects.filter(school=school, is_active=True).select_for_update().order_by("pk").values_list("pk"))


def manager_remains(*, school, leaving=None, new_role=None, changed_role=None, new_codes=None):
    """Raises LAST_ADMIN unless an active person would still hold `school.manage` after the change:
    `leaving` is suspended or removed (or given `new_role`), or `changed_role` gets `new_codes`.
    The school's active memberships are locked first (`lock_members`), so two admins demoting each
    other at once cannot both succeed."""
    lock_members(school)
    members = list(people_memberships(school).filter(is_active=True).select_related("role").order_by("pk"))
    for member in members:
        role_row = member.role
        if leaving is not None and member.pk == leaving.pk:
            if new_role is None:
                continue
            role_row = new_role
        codes = new_codes if changed_role is not None and role_row.pk == changed_role.pk else role_codes(role_row)
        if MANAGE in codes:
            return
    raise SchoolsError(
        _("The school needs at least one active member who can manage it: make someone else an admin first."),
        code=SchoolsErrorCode.LAST_ADMIN,
    )


def _check_name(school, name, *, exclude=None):
    name = (name or "").strip()
    if school.roles.filter(name__iexact=name).exclude(pk=getattr(exclude, "pk", None)).exists():
        raise SchoolsError(
            _("The role could not be saved."),
            code=SchoolsErrorCode.ROLE_NAME_TAKEN,
            fields={"name": [_("The school already has a role called “%(name)s”.") % {"name": name}]},
        )
    if not name or len(name) > NAME_MAX:
        message = (
            _("Give the role a name.") if not name else _("Keep the name to %(max)s characters.") % {"max": NAME_MAX}
        )
        raise SchoolsError(
            _("The role could not be saved."), code=SchoolsErrorCode.SCHOOLS_INVALID, fields={"name": [message]}
        )
    return name


def _new_key(school, name):
    base = ("custom-" + slugify(name))[:32].rstrip("-") or "custom"
    key = base
    while school.roles.filter(key=key).exists():
        key = f"{base}-{secrets.token_hex(3)}"
    return key


def _editable(role_row):
    if not role_row.is_custom:
        raise SchoolsError(
            f"“{role_row.name}” is a default role: copy it and change the copy.",
            code=SchoolsErrorCode.ROLE_NOT_EDITABLE,
        )


@transaction.atomic
def role_copy(*, role, actor, name=None):
    """A custom role with `role`'s permissions and two-step rule, named “Copy of …” unless named."""
    school = role.school
    name = (name or "").strip() or _free_copy_name(school, role.name)
    name = _check_name(school, name)
    copy = Role.objects.create(
        school=school,
        key=_new_key(school, name),
        name=name,
        permissions=sorted(role_codes(role)),
        requires_two_factor=role.requires_two_factor,
        is_custom=True,
    )
    audit(school=school, actor=actor, action="role.copied", target=copy, changes={"from": role.key, "name": name})
    return copy


def _free_copy_name(school, name):
    taken = {n.lower() for n in school.roles.values_list("name", flat=True)}
    candidate, number = f"Copy of {name}"[:NAME_MAX], 2
    while candidate.lower() in taken:
        candidate, number = f"Copy of {name} ({number})"[:NAME_MAX], number + 1
    return candidate


@transaction.atomic
def role_update(*, role, actor, name, permissions, requires_two_factor):
    """Renames a custom role, sets its permissions (codes from the catalogue) and whether its members
    pass the two-step check. Refused for a default role, an unknown code, or when it would leave the
    school without an active member who can manage it."""
    role = Role.objects.for_school(role.school).select_for_update().get(pk=role.pk)
    _editable(role)
    school = role.school
    name = _check_name(school, name, exclude=role)
    catalogue = all_permissions()
    codes = set(permissions or [])
    unknown = sorted(codes - set(catalogue))
    if unknown:
        raise SchoolsError(
            _("The role could not be saved."),
            code=SchoolsErrorCode.UNKNOWN_PERMISSION,
            fields={"permissions": [_("Unknown permission: %(codes)s.") % {"codes": ", ".join(unknown)}]},
        )
    before = role_codes(role)
    if MANAGE in before and MANAGE not in codes:
        manager_remains(school=school, changed_role=role, new_codes=codes)
    changes = {}
    if name != role.name:
        changes["name"] = [role.name, name]
    if codes - before:
        changes["added"] = sorted(codes - before)
    if before - codes:
        changes["removed"] = sorted(before - codes)
    if bool(requires_two_factor) != role.requires_two_factor:
        changes["requires_two_factor"] = [role.requires_two_factor, bool(requires_two_factor)]
    if not changes:
        return role
    Role.objects.for_school(school).filter(pk=role.pk).update(
        name=name, permissions=sorted(codes), requires_two_factor=bool(requires_two_factor)
    )
    role.refresh_from_db()
    audit(school=school, actor=actor, action="role.updated", target=role, changes=changes)
    return role


@transaction.atomic
def role_delete(*, role, actor):
    """Deletes a custom role nobody holds and no open invitation offers. Invitations that were
    accepted or withdrawn go with it (the audit log keeps their story)."""
    role = Role.objects.for_school(role.school).select_for_update().get(pk=role.pk)
    _editable(role)
    school = role.school
    held = Membership.objects.filter(school=school, role=role).count()
    invites = role.invites.filter(accepted_at__isnull=True, revoked_at__isnull=True).count()
    if held or invites:
        parts = [f"{held} member{'s' if held != 1 else ''} or API token{'s' if held != 1 else ''}"] if held else []
        parts += [f"{invites} open invitation{'s' if invites != 1 else ''}"] if invites else []
        raise SchoolsError(
            f"“{role.name}” is in use ({' and '.join(parts)}): give them another role first.",
            code=SchoolsErrorCode.ROLE_IN_USE,
        )
    label = str(role)
    audit(school=school, actor=actor, action="role.deleted", target=role, changes={"name": role.name})
    role.invites.all().delete()
    role.delete()
    return label
