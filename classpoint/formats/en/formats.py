"""English as Nigeria writes it (6 Dec 2026, 06/12/2026), the way British English does: Django's
`en` formats are American (Dec. 6, 2026), and guardian pages activate plain `en`."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
