"""A new application's fields checked whole before anything is written: the child, and one or two
parents or guardians. Every problem is collected under its dotted field name (`applicant.gender`,
`guardians.1.phone`) so the form can show each beside its input. The messages are in the language
active when the check runs: the family's on the public form, the deployment's elsewhere."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from schools.phones import normalize_phone

from ..models import Application
from ._base import class_levels

MAX_GUARDIANS = 2
MAX_AGE_YEARS = 25


def _text(data, key, errors, field, *, max_length, required_message=""):
    value = str(data.get(key) or "").strip()
    if required_message and not value:
        errors.add(field, required_message)
    elif len(value) > max_length:
        errors.add(field, _("Keep this under %(limit_value)d characters.") % {"limit_value": max_length})
    return value


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def clean_applicant(school, data, errors):
    p = "applicant."
    out = {
        "first_name": _text(
            data,
            "first_name",
            errors,
            p + "first_name",
            max_length=80,
            required_message=_("Enter the child's first name."),
        ),
        "last_name": _text(
            data, "last_name", errors, p + "last_name", max_length=80, required_message=_("Enter the child's surname.")
        ),
        "other_names": _text(data, "other_names", errors, p + "other_names", max_length=120),
        "previous_school": _text(data, "previous_school", errors, p + "previous_school", max_length=200),
        "notes": _text(data, "notes", errors, p + "notes", max_length=2000),
    }
    today = school.local_today()
    born = _date(data.get("date_of_birth"))
    if born is None:
        errors.add(p + "date_of_birth", _("Enter the date of birth, e.g. 2014-03-21."))
    elif born > today:
        errors.add(p + "date_of_birth", _("The date of birth cannot be in the future."))
    elif born < _years_before(today, MAX_AGE_YEARS):
        errors.add(
            p + "date_of_birth",
            _("Check the year: applicants are at most %(years)s years old.") % {"years": MAX_AGE_YEARS},
        )
    out["date_of_birth"] = born
    gender = str(data.get("gender") or "").strip().lower()
    if gender not in Application.Gender.values:
        errors.add(p + "gender", _("Choose female or male."))
    out["gender"] = gender
    level = str(data.get("class_level") or "").strip()
    levels = class_levels(school=school)
    if not level:
        errors.add(p + "class_level", _("Choose the class applied for."))
    elif level not in levels:
        errors.add(
            p + "class_level",
            _("“%(level)s” is not a class at this school. Choose one of: %(levels)s.")
            % {"level": level, "levels": ", ".join(levels)},
        )
    out["class_level"] = level
    term = data.get("term")
    if term is not None and term.school_id != school.pk:
        errors.add(p + "term", _("Not found in this school."))
    out["term"] = term
    return out


def _preferred_channel(g):
    for channel, address in (("sms", g["phone"]), ("whatsapp", g["phone"]), ("email", g["email"])):
        if g[f"consent_{channel}"] and address:
            return channel
    return "sms" if g["phone"] else "email"


def clean_guardians(school, guardians, errors):
    if not isinstance(guardians, list | tuple) or not guardians:
        errors.add("guardians", _("Give at least one parent or guardian."))
        return []
    if len(guardians) > MAX_GUARDIANS:
        errors.add("guardians", _("Give at most %(count)s parents or guardians.") % {"count": MAX_GUARDIANS})
        return []
    out = []
    for index, data in enumerate(guardians):
        p = f"guardians.{index}."
        g = {
            "first_name": _text(
                data,
                "first_name",
                errors,
                p + "first_name",
                max_length=80,
                required_message=_("Enter the guardian's first name."),
            ),
            "last_name": _text(
                data,
                "last_name",
                errors,
                p + "last_name",
                max_length=80,
                required_message=_("Enter the guardian's surname."),
            ),
            "relationship": _text(data, "relationship", errors, p + "relationship", max_length=40),
            "phone": "",
            "email": "",
        }
        try:
            g["phone"] = normalize_phone(str(data.get("phone") or ""), school.country)
        except ValueError:
            # schools' normalize_phone says it in English only; the family reads it in its language.
            errors.add(p + "phone", _("Enter a valid phone number, e.g. +2348031234567."))
        email = str(data.get("email") or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.add(p + "email", _("Enter a valid email address, e.g. ada@example.com."))
            else:
                g["email"] = email
        if not g["phone"] and not email and p + "phone" not in errors:
            errors.add(p + "phone", _("Give a phone number or an email address so the school can reach you."))
        for channel in ("sms", "whatsapp", "email"):
            g[f"consent_{channel}"] = bool(data.get(f"consent_{channel}"))
        g["preferred_channel"] = _preferred_channel(g)
        out.append(g)
    if len(out) == 2:
        first, second = out
        if first["phone"] and first["phone"] == second["phone"]:
            errors.add("guardians.1.phone", _("The second guardian has the same phone number as the first."))
        elif first["email"] and first["email"] == second["email"] and not (first["phone"] or second["phone"]):
            errors.add("guardians.1.email", _("The second guardian has the same email address as the first."))
    return out
