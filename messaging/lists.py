"""Saved lists of guardians, an announcement's fourth audience: make one, rename it, change who is on
it (by id, or by pasting the phone numbers and emails staff already have in a spreadsheet), delete it.

Every change is all or nothing: one guardian id of another school, or one pasted line that matches
nobody here, and the list stays exactly as it was. Member changes lock the list row, so two people
editing the same list (or one deleting it) take turns instead of tripping the unique pair in the
membership table.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from classpoint.audit import audit
from classpoint.models import OutboxEvent
from schools.models import Guardian
from schools.phones import normalize_phone

from .announcements import EVENT as PUBLISHED
from .announcements import published_key
from .errors import MessagingError, MessagingErrorCode
from .models import Announcement, GuardianList

NAME_MAX = 80
DESCRIPTION_MAX = 500
# A paste is a spreadsheet column, not a database: beyond this, import the guardians instead.
MAX_CONTACT_LINES = 2000
# How many unmatched lines the error names; the rest are counted.
SHOWN_UNMATCHED = 20
_SPLIT = re.compile(r"[\r\n,;]+")
NOT_IN_SCHOOL = gettext_noop("Some of the chosen guardians do not exist in this school.")


def _guardians(school):
    return Guardian.objects.for_school(school)


def _lists(school):
    return GuardianList.objects.for_school(school)


# --- Reading a paste ---------------------------------------------------------------------------


def contact_lines(text):
    """The non-empty lines of a paste, each once, in the order given (commas and semicolons split too:
    a row copied from a spreadsheet often arrives as one line)."""
    return list(dict.fromkeys(line.strip() for line in _SPLIT.split(text or "") if line.strip()))


def match_contacts(*, school, text):
    """(guardian ids, lines that matched nobody) for pasted phone numbers and emails. A phone is read
    the way people type it ("0803 123 4567") in the school's country; an email matches whatever its
    case. One line may match several guardians (two parents sharing a phone): all of them count."""
    lines = contact_lines(text)
    wanted = {}  # line -> the value it is looked up by
    for line in lines:
        if "@" in line:
            wanted[line] = ("email", line.lower())
            continue
        try:
            wanted[line] = ("phone", normalize_phone(line, school.country or "NG"))
        except ValueError:
            wanted[line] = ("phone", line)  # stored as typed long ago, or simply not a number: looked up as is
    phones = {value for kind, value in wanted.values() if kind == "phone"}
    emails = {value for kind, value in wanted.values() if kind == "email"}
    if not wanted:
        return [], []
    rows = (
        _guardians(school)
        .annotate(email_lower=Lower("email"))
        .filter(Q(phone__in=phones) | Q(email_lower__in=emails))
        .values_list("pk", "phone", "email_lower")
    )
    by_value = {}
    for pk, phone, email in rows:
        if phone:
            by_value.setdefault(("phone", phone), set()).add(pk)
        if email:
            by_value.setdefault(("email", email), set()).add(pk)
    ids, unmatched = set(), []
    for line in lines:
        found = by_value.get(wanted[line])
        if found:
            ids |= found
        else:
            unmatched.append(line)
    return sorted(ids), unmatched


def _unmatched_error(unmatched):
    shown = ", ".join(unmatched[:SHOWN_UNMATCHED])
    more = len(unmatched) - SHOWN_UNMATCHED
    if more > 0:
        message = _("No guardian in this school has these phone numbers or emails: %(shown)s and %(more)s more.")
        return message % {"shown": shown, "more": more}
    message = ngettext(
        "No guardian in this school has this phone number or email: %(shown)s.",
        "No guardian in this school has these phone numbers or emails: %(shown)s.",
        len(unmatched),
    )
    return message % {"shown": shown}


def _resolve_members(*, school, guardian_ids, contacts, errors):
    """The guardian ids asked for by id and by paste, all of this school, or field errors in `errors`."""
    try:
        asked = {int(g) for g in guardian_ids or []}
    except (TypeError, ValueError):
        errors["guardian_ids"] = [_(NOT_IN_SCHOOL)]
        asked = set()
    if asked:
        found = set(_guardians(school).filter(pk__in=asked).values_list("pk", flat=True))
        if found != asked:
            errors["guardian_ids"] = [_(NOT_IN_SCHOOL)]
    if contacts and contacts.strip():
        if len(contact_lines(contacts)) > MAX_CONTACT_LINES:
            errors["contacts"] = [_("Paste at most %(max)s lines at a time.") % {"max": f"{MAX_CONTACT_LINES:,}"}]
        else:
            matched, unmatched = match_contacts(school=school, text=contacts)
            if unmatched:
                errors["contacts"] = [_unmatched_error(unmatched)]
            asked |= set(matched)
    return asked


def _check_details(*, school, name, description, errors, exclude_pk=None):
    if not name:
        errors["name"] = [_("Give the list a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("Keep the name to %(max)s characters.") % {"max": NAME_MAX}]
    elif _lists(school).filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        errors["name"] = [_("This school already has a list with this name.")]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("Keep the description to %(max)s characters.") % {"max": DESCRIPTION_MAX}]


def _save_or_name_taken(guardian_list, **kwargs):
    # Two people naming lists alike at the same moment: the second gets the field error, not a 500.
    try:
        with transaction.atomic():
            guardian_list.save(**kwargs)
    except IntegrityError:
        raise MessagingError(
            _("The list could not be saved."),
            code=MessagingErrorCode.INVALID_GUARDIAN_LIST,
            fields={"name": [_("This school already has a list with this name.")]},
        ) from None


def _locked(guardian_list):
    return _lists(guardian_list.school_id).select_for_update().get(pk=guardian_list.pk)


# --- Writing ---------------------------------------------------------------------------------


@transaction.atomic
def guardian_list_create(*, school, actor, name, description="", guardian_ids=(), contacts=""):
    """A new list with its first members (by id and/or pasted phone numbers and emails)."""
    name, description = (name or "").strip(), (description or "").strip()
    errors = {}
    _check_details(school=school, name=name, description=description, errors=errors)
    members = _resolve_members(school=school, guardian_ids=guardian_ids, contacts=contacts, errors=errors)
    if errors:
        raise MessagingError(
            _("The list could not be saved."), code=MessagingErrorCode.INVALID_GUARDIAN_LIST, fields=errors
        )
    guardian_list = GuardianList(
        school=school,
        name=name,
        description=description,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _save_or_name_taken(guardian_list)
    if members:
        guardian_list.guardians.add(*members)
    audit(
        school=school,
        actor=actor,
        action="guardian_list.created",
        target=guardian_list,
        changes={"name": name, "guardian_ids": sorted(members)},
    )
    return guardian_list


@transaction.atomic
def guardian_list_update(*, guardian_list, actor, name=None, description=None, guardian_ids=None):
    """Rename, describe, and (when `guardian_ids` is given) make the members exactly those guardians.
    Omitted arguments stay as they are."""
    school = guardian_list.school
    locked = _locked(guardian_list)
    name = locked.name if name is None else name.strip()
    description = locked.description if description is None else description.strip()
    errors = {}
    _check_details(school=school, name=name, description=description, errors=errors, exclude_pk=locked.pk)
    members = None
    if guardian_ids is not None:
        members = _resolve_members(school=school, guardian_ids=guardian_ids, contacts="", errors=errors)
    if errors:
        raise MessagingError(
            _("The list could not be saved."), code=MessagingErrorCode.INVALID_GUARDIAN_LIST, fields=errors
        )
    changes = {}
    if name != locked.name:
        changes["name"] = [locked.name, name]
    if description != locked.description:
        changes["description"] = [locked.description, description]
    locked.name, locked.description = name, description
    _save_or_name_taken(locked, update_fields=["name", "description", "updated_at"])
    if members is not None:
        before = set(locked.guardians.values_list("pk", flat=True))
        added, removed = sorted(members - before), sorted(before - members)
        if removed:
            locked.guardians.remove(*removed)
        if added:
            locked.guardians.add(*added)
        if added or removed:
            changes.update({"added": added, "removed": removed})
    if changes:
        audit(school=school, actor=actor, action="guardian_list.updated", target=locked, changes=changes)
    guardian_list.name, guardian_list.description, guardian_list.updated_at = name, description, locked.updated_at
    return locked


@transaction.atomic
def guardian_list_add_members(*, guardian_list, actor, guardian_ids=(), contacts=""):
    """Add guardians by id and/or by pasted phone numbers and emails. Returns how many were new."""
    school = guardian_list.school
    locked = _locked(guardian_list)
    errors = {}
    members = _resolve_members(school=school, guardian_ids=guardian_ids, contacts=contacts, errors=errors)
    if not members and not errors:
        errors["contacts"] = [_("Paste at least one phone number or email, or choose a guardian.")]
    if errors:
        raise MessagingError(_("Nobody was added."), code=MessagingErrorCode.INVALID_GUARDIAN_LIST, fields=errors)
    added = sorted(members - set(locked.guardians.filter(pk__in=members).values_list("pk", flat=True)))
    if added:
        locked.guardians.add(*added)
        locked.save(update_fields=["updated_at"])
        audit(
            school=school,
            actor=actor,
            action="guardian_list.members_added",
            target=locked,
            changes={"guardian_ids": added},
        )
    return len(added)


@transaction.atomic
def guardian_list_remove_members(*, guardian_list, actor, guardian_ids):
    """Take guardians off the list (ids not on it are ignored: the page may be stale). Returns how many."""
    school = guardian_list.school
    locked = _locked(guardian_list)
    try:
        asked = {int(g) for g in guardian_ids or []}
    except (TypeError, ValueError):
        raise MessagingError(
            _("Nobody was removed."),
            code=MessagingErrorCode.INVALID_GUARDIAN_LIST,
            fields={"guardian_ids": [_(NOT_IN_SCHOOL)]},
        ) from None
    removed = sorted(locked.guardians.filter(pk__in=asked).values_list("pk", flat=True))
    if removed:
        locked.guardians.remove(*removed)
        locked.save(update_fields=["updated_at"])
        audit(
            school=school,
            actor=actor,
            action="guardian_list.members_removed",
            target=locked,
            changes={"guardian_ids": removed},
        )
    return len(removed)


def announcements_waiting_for(guardian_list):
    """The announcements that will still read this list: not published yet, or published and not
    fanned out yet (the fan-out reads the members when it runs)."""
    uses = Announcement.objects.for_school(guardian_list.school_id).filter(guardian_list=guardian_list)
    published = list(uses.filter(published_at__isnull=False).values_list("pk", flat=True))
    pending = set(
        OutboxEvent.objects.filter(
            school_id=guardian_list.school_id,
            event_type=PUBLISHED,
            processed_at__isnull=True,
            dedupe_key__in=[published_key(pk) for pk in published],
        ).values_list("dedupe_key", flat=True)
    )
    pending_ids = [pk for pk in published if published_key(pk) in pending]
    return uses.filter(Q(published_at__isnull=True) | Q(pk__in=pending_ids)).order_by("created_at", "id")


@transaction.atomic
def guardian_list_delete(*, guardian_list, actor):
    """Delete a list nothing is waiting to send to. Announcements already sent keep their record
    (their `guardian_list` becomes empty)."""
    locked = _locked(guardian_list)
    waiting = list(announcements_waiting_for(locked)[:4])
    if waiting:
        titles = ", ".join(f"“{a.title}”" for a in waiting[:3])
        if len(waiting) > 3:
            message = _(
                "“%(name)s” cannot be deleted: announcements that have not gone out yet are addressed to it "
                "(%(titles)s and more). Delete it once they are sent."
            )
        else:
            message = _(
                "“%(name)s” cannot be deleted: announcements that have not gone out yet are addressed to it "
                "(%(titles)s). Delete it once they are sent."
            )
        raise MessagingError(
            message % {"name": locked.name, "titles": titles},
            code=MessagingErrorCode.GUARDIAN_LIST_IN_USE,
        )
    audit(
        school=locked.school,
        actor=actor,
        action="guardian_list.deleted",
        target=locked,
        changes={"name": locked.name, "guardians": locked.guardians.count()},
    )
    locked.delete()
