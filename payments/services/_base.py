"""What the payments services share: which transactions have credited their pay link, and the
refusal of a payment to an invoice that takes none."""

from django.utils.translation import gettext as _

from ..errors import PaymentsError, PaymentsErrorCode
from ..models import PaymentTransaction

# A transaction in these states has credited its pay link (a reversal refunds it; it is not re-credited).
CREDITED = (PaymentTransaction.Status.CONFIRMED, PaymentTransaction.Status.REVERSED)


def not_payable(invoice):
    message = _("Only issued invoices take payments (this one is %(status)s).") % {
        "status": invoice.get_status_display().lower()
    }
    return PaymentsError(_("Not payable."), code=PaymentsErrorCode.NOT_PAYABLE, fields={"invoice": [message]})
