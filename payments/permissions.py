"""What the payments app guards."""

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "payments.view": _("View payments and receipts"),
    "payments.review_proofs": _("Approve or reject bank-transfer proofs"),
    "payments.refund": _("Refund payments"),
}
