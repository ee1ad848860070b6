"""The settings page's forms, one per section. They read what was typed (times, ticks, a file); what
is allowed is the services' to say (schools/services/settings.py), mapped back onto these fields."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from classpoint import flags
from classpoint.money import currency_symbol, format_amount

from .services.logos import LOGO_MAX_BYTES
from .services.settings import ADDRESS_MAX, INTRO_MAX, NAME_MAX

EXAMPLE_MINOR = 1_250_000


class DetailsForm(forms.Form):
    section = "details"
    name = forms.CharField(label=_("School name"), max_length=NAME_MAX, required=False)


class ContactForm(forms.Form):
    section = "contact"
    address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=ADDRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text=_("One line per line of the address."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("The number families call, e.g. 0803 123 4567 or +234 803 123 4567."),
    )
    email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )
    website = forms.CharField(label=_("Website"), required=False, max_length=200, help_text=_("e.g. www.school.ng"))


class LogoForm(forms.Form):
    section = "logo"
    logo = forms.FileField(
        label=_("Logo image"),
        required=False,  # the service says what a missing file needs
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per form, not at import: the size is put into the sentence in the reader's language.
        self.fields["logo"].help_text = gettext(
            "A PNG or JPEG of at most %(mb)s MB. It is scaled to fit 600 pixels and printed at the top of every "
            "document and on the public application form."
        ) % {"mb": LOGO_MAX_BYTES // (1024 * 1024)}


def _choices(group):
    return [(f.key, f.label) for f in flags.features(group)]


class MessagingForm(forms.Form):
    section = "messaging"
    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours start"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("From this time no message goes out; messages wait until the end time."),
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours end"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_(
            "School time. The window may cross midnight (21:00 to 07:00). The same time twice means no "
            "quiet hours. Urgent messages are never held."
        ),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels the school sends by"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A message meant for a channel switched off goes by another channel the family receives, "
            "or is not sent, with the reason in the message log."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = _choices(flags.CHANNEL)


def _time_zones():
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [(z, z.replace("_", " ")) for z in zones]


class RegionalForm(forms.Form):
    section = "regional"
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Quiet hours, due dates, “today” and every time shown follow it."),
    )
    currency_display = forms.ChoiceField(label=_("Show amounts with"), widget=forms.RadioSelect)
    default_language = forms.ChoiceField(
        label=_("Language for families"),
        choices=settings.LANGUAGES,
        help_text=_("What messages and the public pages use for a family that has not chosen a language."),
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        zones = _time_zones()
        if school.timezone not in dict(zones):
            zones.insert(0, (school.timezone, school.timezone))
        self.fields["timezone"].choices = zones
        amount = format_amount(EXAMPLE_MINOR)
        self.fields["currency_display"].choices = [
            ("symbol", gettext("The symbol: %(example)s") % {"example": f"{currency_symbol(school.currency)}{amount}"}),
            ("code", gettext("The code: %(example)s") % {"example": f"{school.currency} {amount}"}),
        ]


class PublicFormForm(forms.Form):
    section = "public-form"
    public_form_intro = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=INTRO_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Shown above the application form: what to have ready, fees, dates. Plain text; line breaks are kept."
        ),
    )


class ModulesForm(forms.Form):
    section = "features"
    modules = forms.MultipleChoiceField(
        label=_("Modules the school uses"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A module switched off disappears for everyone at the school: its pages, its API and the links "
            "families were sent. Its records are kept; switching it on again brings everything back."
        ),
    )

    # The modules the page offered, so a module declared since it was loaded is left alone.
    shown = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modules"].choices = _choices(flags.MODULE)
        self.fields["shown"].initial = ",".join(key for key, _label in self.fields["modules"].choices)

    def shown_keys(self):
        return [key for key in self.cleaned_data.get("shown", "").split(",") if key.strip()]
