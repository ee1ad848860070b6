"""A guardian's own message preferences, reached by a signed link in the messages we send: no account,
bound to one school and one guardian, valid for a year (MESSAGING_PREFERENCES_LINK_MAX_AGE_DAYS).
Each change is recorded like any other consent change (source "link"). The page is in the
guardian's language (classpoint/i18n.py), and the guardian chooses there the language their
messages are written in."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from classpoint import i18n, links
from classpoint.scoping import enter_school
from schools.models import Guardian, School
from schools.services.people import guardian_update

from .consent import consent_set
from .defaults import MESSAGE_LANGUAGES
from .features import channels_on
from .models import Channel, ConsentChange

_SALT = "messaging.preferences"
CHANNEL_WORDS = {
    Channel.SMS: gettext_lazy("Text messages (SMS)"),
    Channel.WHATSAPP: gettext_lazy("WhatsApp"),
    Channel.EMAIL: gettext_lazy("Email"),
}


def preferences_link(*, school, guardian):
    """The absolute URL of `guardian`'s preferences page at `school`. Signed, not stored."""
    token = links.sign({"s": school.pk, "g": guardian.pk}, salt=_SALT)
    return links.absolute_url("messaging-preferences", token)


def preferences_link_open(token):
    """(school_id, guardian_id) from a link token, or None if forged or expired."""
    max_age = settings.MESSAGING_PREFERENCES_LINK_MAX_AGE_DAYS * 86400
    return links.verify(token, salt=_SALT, max_age=max_age, keys=("s", "g"))


def _open(token):
    opened = preferences_link_open(token)
    if opened is None:
        raise Http404("This link is not valid or has expired")
    school_id, guardian_id = opened
    school = School.objects.filter(pk=school_id, status=School.Status.ACTIVE).first()
    if school is None:
        raise Http404("This link is not valid")
    # The signed link names the school: the rest of the request is scoped to it.
    enter_school(school)
    guardian = Guardian.objects.for_school(school).filter(pk=guardian_id).first()
    if guardian is None:
        raise Http404("This link is not valid")
    return school, guardian


def channels_for(guardian, channels=None):
    """The channels this guardian can be reached on (an address for it, and among `channels`, the
    ones the school sends by, when given), with the current consent."""
    rows = []
    for channel, label in Channel.choices:
        address = guardian.email if channel == Channel.EMAIL else guardian.phone
        if address and (channels is None or channel in channels):
            rows.append(
                {
                    "channel": channel,
                    "label": CHANNEL_WORDS.get(channel, label),
                    "address": address,
                    "granted": bool(getattr(guardian, f"consent_{channel}")),
                }
            )
    return rows


def language_choices(school):
    """[(code, words)] for the guardian's language of messages: the school's own first (what an
    empty choice means), then every language messages are written in."""
    names = i18n.language_names()
    default = i18n.school_language(school) or i18n.FALLBACK
    school_words = _("As the school writes (%(language)s)") % {"language": names.get(default, default)}
    return [("", school_words), *((code, names[code]) for code in MESSAGE_LANGUAGES if code in names)]


def _save_language(guardian, wanted, choices):
    """Whether the guardian's language of messages changed to `wanted` (one of `choices`)."""
    if wanted not in dict(choices) or wanted == guardian.preferred_language:
        return False
    guardian_update(guardian=guardian, actor=None, preferred_language=wanted)
    return True


@never_cache
@require_http_methods(["GET", "POST"])
@i18n.guardian_page
def preferences_view(request, token):
    school, guardian = _open(token)
    i18n.settle(request, guardian.preferred_language, i18n.school_language(school))
    # A channel the school switched off is not offered (its consent stays as it was).
    rows = channels_for(guardian, channels_on(school))
    languages = language_choices(school)
    if request.method == "POST":
        wanted = set(request.POST.getlist("channels"))
        changed = 0
        for row in rows:
            granted = row["channel"] in wanted
            if granted != row["granted"]:
                change = consent_set(
                    guardian=guardian,
                    channel=row["channel"],
                    granted=granted,
                    source=ConsentChange.Source.LINK,
                    note="Preferences page",
                )
                changed += change is not None
        if "language" in request.POST:
            changed += _save_language(guardian, request.POST["language"], languages)
        messages.success(request, _("Your preferences were saved.") if changed else _("Nothing changed."))
        return redirect("messaging-preferences", token)
    return render(
        request,
        "messaging/preferences.html",
        {
            "school_name": school.name,
            "guardian": guardian,
            "rows": rows,
            "languages": languages,
            "token": token,
        },
    )
