"""The guardian's pay page in the guardian's language: the transfer-proof form's labels, the words
for a proof's, a payment's and an invoice's state, and the payments service's refusals said again
in the page's language (the service's own messages are the staff's, in English)."""

import copy

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import PaymentsErrorCode as Code
from .forms import ProofForm

INVOICE_STATUS = {
    "draft": _("Draft"),
    "issued": _("Issued"),
    "partially_paid": _("Partly paid"),
    "paid": _("Paid"),
    "void": _("Void"),
}
# As the guardian reads it in a sentence ("10 Nov 2026: ₦40,000.00, waiting for review").
PROOF_STATUS = {
    "pending": _("waiting for review"),
    "approved": _("approved"),
    "rejected": _("rejected"),
}
PAYMENT_KIND = {
    "gateway": _("online"),
    "bank_transfer": _("bank transfer"),
    "cash": _("cash"),
    "pos": _("POS"),
}


class GuardianProofForm(ProofForm):
    """ProofForm with the guardian's words; the fields and what they take are the same."""

    LABELS = {
        "file": _("Transfer slip (PDF, JPEG or PNG)"),
        "amount": _("Amount transferred"),
        "paid_on": _("Date of the transfer"),
        "bank_reference": _("Bank reference (optional)"),
        "payer_name": _("Paid by (name on the account)"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.LABELS.items():
            self.fields[name].label = label
        self.fields["paid_on"].error_messages["out_of_range"] = _("Check the date of the transfer.")


def _refusal(code):
    """The guardian's words for a refusal of `code`, or None to keep the service's."""
    if code == Code.FILE_TOO_LARGE:
        return gettext("The file is over %(mb)s MB.") % {"mb": settings.PROOF_MAX_BYTES // (1024 * 1024)}
    words = {
        Code.INVALID_FILE: _("The file is empty."),
        Code.NO_FILE: _("Choose the transfer slip (PDF, JPEG or PNG)."),
        Code.UNSUPPORTED_TYPE: _("Upload a PDF, JPEG or PNG of the transfer slip."),
        Code.NOT_PAYABLE: _("This invoice takes no more payments."),
        Code.NOTHING_DUE: _("This invoice is paid."),
        Code.AMOUNT_NOT_POSITIVE: _("Enter the amount transferred."),
        Code.DATE_REQUIRED: _("Enter the date of the transfer."),
        Code.DATE_IN_FUTURE: _("The transfer date cannot be in the future."),
        Code.DUPLICATE_REFERENCE: _("A proof with this bank reference was already sent."),
        Code.GATEWAY_UNAVAILABLE: _("Online payment is not available just now. Please try again later."),
    }
    text = words.get(code)
    return None if text is None else str(text)


def in_guardian_words(error):
    """`error` (a PaymentsError) with its messages in the page's language where its code has words
    of ours; a refusal we have no words for keeps the service's message, so it still says why."""
    words = _refusal(error.code)
    if words is None:
        return error
    translated = copy.copy(error)
    translated.message = words
    translated.fields = {name: [words] for name in error.fields}
    return translated
