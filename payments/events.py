"""The events payments emits for the layers that listen (fees credits the invoice, receipts and
messages follow). One place builds each payload, whichever path confirmed the money."""

from classpoint.outbox import emit


def payment_confirmed_emit(tx):
    """`payment.confirmed` for a transaction confirmed in this transaction (once per transaction:
    the dedupe key is its id)."""
    emit(
        school=tx.school,
        event_type="payment.confirmed",
        dedupe_key=f"payment.confirmed:{tx.pk}",
        payload={
            "transaction_id": tx.pk,
            "invoice_id": tx.invoice_id,
            "amount_minor": tx.amount_minor,
            "currency": tx.currency,
        },
    )
