"""What the registrar app guards: admissions and the school dashboard it draws."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "registrar.manage_applications": _("Move applications through admission"),
    "dashboard.view": _("See the school dashboard and KPIs"),
}
