"""A school's own settings, section by section (the settings page, /s/<slug>/settings/): its name,
contact details, logo, messaging (quiet hours, the channels it sends by), regional choices, the
public form's introduction and the modules it uses (classpoint/flags.py).

Each section is one atomic write: every value is checked first and a refused section changes
nothing; what changed is audited as {field: [before, after]}. The admission number pattern and the
days to pay a late invoice have their own editors (the registrar's admission settings, fees' due
dates): one editor per setting.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from classpoint import flags
from classpoint.audit import audit

from ..errors import SchoolsError, SchoolsErrorCode
from ..models import School, SchoolProfile
from ..phones import normalize_phone
from .logos import logo_replace

NAME_MAX = 200
ADDRESS_MAX = 500
INTRO_MAX = 2000
CURRENCY_DISPLAYS = ("symbol", "code")


def _refuse(message, fields):
    raise SchoolsError(message, code=SchoolsErrorCode.SCHOOLS_INVALID, fields=fields)


def _locked(school):
    """The school and its profile, locked for the write (a profile is made if it was never made)."""
    locked = School.objects.select_for_update().get(pk=school.pk)
    profile, _created = SchoolProfile.objects.select_for_update().get_or_create(school=locked)
    return locked, profile


def _shown(value):
    """A value as the audit log keeps it (times as HH:MM)."""
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return value


def _apply(obj, values):
    """Set the changed `values` on `obj`; returns {field: [before, after]}."""
    changes = {}
    for field, value in values.items():
        before = getattr(obj, field)
        if before != value:
            changes[field] = [_shown(before), _shown(value)]
            setattr(obj, field, value)
    if changes:
        obj.save(update_fields=list(changes))
    return changes


def _finish(*, school, actor, action, changes):
    if changes:
        audit(school=school, actor=actor, action=action, target=school, changes=changes)
    return changes


def _text(value):
    return (value or "").strip()


# --- Sections ---------------------------------------------------------------------------------


@transaction.atomic
def school_details_update(*, school, actor, name):
    """The school's name, as pages, messages and documents print it."""
    name = " ".join(_text(name).split())
    if not name:
        _refuse(_("Enter the school's name."), {"name": [_("Enter the school's name.")]})
    if len(name) > NAME_MAX:
        _refuse(_("The name is too long."), {"name": [_("Use at most %(max)s characters.") % {"max": NAME_MAX}]})
    locked, _profile = _locked(school)
    changes = _apply(locked, {"name": name})
    school.name = locked.name
    return _finish(school=school, actor=actor, action="school.details_updated", changes=changes)


@transaction.atomic
def school_contact_update(*, school, actor, address, phone, email, website):
    """How families reach the school: printed on every document's letterhead and on messages."""
    address = "\n".join(line.strip() for line in _text(address).splitlines() if line.strip())
    errors = {}
    if len(address) > ADDRESS_MAX:
        errors["address"] = [_("Use at most %(max)s characters.") % {"max": ADDRESS_MAX}]
    try:
        phone = normalize_phone(phone, school.country or "NG")
    except ValueError as exc:
        errors["phone"] = [str(exc)]
    email = _text(email).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address, e.g. office@school.ng.")]
    website = _text(website)
    if website:
        if "://" not in website:
            website = f"https://{website}"
        try:
            URLValidator(schemes=["http", "https"])(website)
        except ValidationError:
            errors["website"] = [_("Enter a web address, e.g. https://www.school.ng.")]
        if len(website) > 200:
            errors["website"] = [_("Use at most %(max)s characters.") % {"max": 200}]
    if errors:
        _refuse(_("The contact details were not saved."), errors)
    _school, profile = _locked(school)
    changes = _apply(profile, {"address": address, "phone": phone, "email": email, "website": website})
    return _finish(school=school, actor=actor, action="school.contact_updated", changes=changes)


@transaction.atomic
def school_logo_set(*, school, actor, uploaded):
    """Replace the school's logo with `uploaded` (a PNG or JPEG, checked and re-encoded)."""
    _school, profile = _locked(school)
    before, after = logo_replace(school=school, profile=profile, uploaded=uploaded)
    return _finish(school=school, actor=actor, action="school.logo_uploaded", changes={"logo": [before, after]})


@transaction.atomic
def school_logo_remove(*, school, actor):
    """Documents and the public form go back to the school's name alone."""
    _school, profile = _locked(school)
    if not profile.logo:
        return {}
    before, after = logo_replace(school=school, profile=profile, uploaded=None, remove=True)
    return _finish(school=school, actor=actor, action="school.logo_removed", changes={"logo": [before, after]})


@transaction.atomic
def school_messaging_update(*, school, actor, quiet_hours_start, quiet_hours_end, channels):
    """Quiet hours (school-local; the window may cross midnight; the same time twice means none)
    and the channels the school sends by (at least one)."""
    errors = {}
    for field, value in (("quiet_hours_start", quiet_hours_start), ("quiet_hours_end", quiet_hours_end)):
        if not isinstance(value, datetime.time):
            errors[field] = [_("Enter a time, e.g. 21:00.")]
    known = [f.key for f in flags.features(flags.CHANNEL)]
    channels = set(channels or ())
    unknown = sorted(channels - set(known))
    if unknown:
        errors["channels"] = [_("Unknown channel: %(keys)s.") % {"keys": ", ".join(unknown)}]
    elif known and not channels:
        errors["channels"] = [_("Keep at least one channel: with none, no family would be told anything.")]
    if errors:
        _refuse(_("The messaging settings were not saved."), errors)
    _school, profile = _locked(school)
    changes = _apply(
        profile,
        {
            "quiet_hours_start": quiet_hours_start.replace(second=0, microsecond=0),
            "quiet_hours_end": quiet_hours_end.replace(second=0, microsecond=0),
        },
    )
    changes.update(flags.school_flags_set(school=school, values={key: key in channels for key in known}))
    return _finish(school=school, actor=actor, action="school.messaging_updated", changes=changes)


def _languages():
    return [code for code, _name in settings.LANGUAGES]


@transaction.atomic
def school_regional_update(*, school, actor, timezone, currency_display, default_language):
    """The school's clock (quiet hours, due dates and "today" follow it), how money is printed
    and the language guardians are written to when they have not chosen one."""
    timezone = _text(timezone)
    errors = {}
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = [
            _("“%(timezone)s” is not a known time zone (e.g. Africa/Lagos).") % {"timezone": timezone[:64]}
        ]
    if currency_display not in CURRENCY_DISPLAYS:
        errors["currency_display"] = [_("Choose the symbol or the code.")]
    if default_language not in _languages():
        errors["default_language"] = [_("Choose one of %(codes)s.") % {"codes": ", ".join(_languages())}]
    if errors:
        _refuse(_("The regional settings were not saved."), errors)
    locked, profile = _locked(school)
    changes = _apply(locked, {"timezone": timezone})
    changes.update(_apply(profile, {"currency_display": currency_display, "default_language": default_language}))
    school.timezone = locked.timezone
    return _finish(school=school, actor=actor, action="school.regional_updated", changes=changes)


@transaction.atomic
def school_public_form_update(*, school, actor, public_form_intro):
    """The words above the public application form (plain text; line breaks kept)."""
    intro = "\n".join(line.rstrip() for line in _text(public_form_intro).splitlines())
    if len(intro) > INTRO_MAX:
        _refuse(
            _("The introduction was not saved."),
            {"public_form_intro": [_("Use at most %(max)s characters.") % {"max": INTRO_MAX}]},
        )
    _school, profile = _locked(school)
    changes = _apply(profile, {"public_form_intro": intro})
    return _finish(school=school, actor=actor, action="school.public_form_updated", changes=changes)


@transaction.atomic
def school_modules_update(*, school, actor, modules, shown=None):
    """Which modules the school uses: the keys in `modules` are switched on, the other keys of
    `shown` (the modules the form offered; default every module) off. A module the form did not
    offer (declared after the page was loaded) is left as it is."""
    known = [f.key for f in flags.features(flags.MODULE)]
    shown = known if shown is None else list(dict.fromkeys(shown))
    modules = set(modules or ())
    unknown = sorted((modules | set(shown)) - set(known))
    if unknown:
        _refuse(
            _("The modules were not saved."),
            {"modules": [_("Unknown module: %(keys)s.") % {"keys": ", ".join(unknown)}]},
        )
    if not shown:
        _refuse(
            _("The modules were not saved."),
            {"modules": [_("The form was incomplete: reload the page and try again.")]},
        )
    _locked(school)  # one writer of a school's settings at a time
    changes = flags.school_flags_set(school=school, values={key: key in modules for key in shown})
    return _finish(school=school, actor=actor, action="school.features_updated", changes=changes)
