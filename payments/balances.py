"""Where a family pays, for the kernel's balances hook (classpoint/balances.py): the guardian's secure
page for the pupil's oldest open invoice. What is owed is fees' to say (fees/balances.py); this
module answers only the link, so amounts are never counted twice."""

from classpoint.flags import feature_on
from fees.balances import oldest_open_invoice
from schools import selectors as schools_selectors

from .features import ONLINE_PAYMENTS
from .proofs import guardian_link


def pay_link(*, school, student_id, guardian_id):
    """The absolute URL of the guardian's pay page for the pupil's oldest open invoice, or "" when
    nothing is owed, the guardian is not the pupil's (a stranger is never sent a child's invoice) or
    the school takes no payments online (the page would not exist: classpoint/flags.py)."""
    if not feature_on(school, ONLINE_PAYMENTS):
        return ""
    guardian = schools_selectors.guardian_of_student(school=school, guardian_id=guardian_id, student_id=student_id)
    if guardian is None:
        return ""
    invoice = oldest_open_invoice(school=school, student_id=student_id)
    if invoice is None:
        return ""
    return guardian_link(invoice=invoice, guardian=guardian)
