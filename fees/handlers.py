"""Outbox consumers in fees. Idempotent: one Allocation per transaction."""

from classpoint.outbox import handles

from . import services


@handles("payment.confirmed")
def allocate_payment(event):
    p = event.payload
    services.invoice_apply_payment(invoice_id=p["invoice_id"], transaction_id=p["transaction_id"],
                                   amount_minor=p["amount_minor"])  # fmt: skip
