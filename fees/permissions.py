"""What the fees app guards."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "fees.view": _("View fees and invoices"),
    "fees.manage": _("Create fee items, schedules and invoices"),
    "fees.approve_awards": _("Approve scholarships and waivers"),
}
