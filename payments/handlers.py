"""Outbox consumers in payments. Idempotent: the gateway reference and the receipt's transaction
are unique, so a redelivery finds the work done."""

from classpoint.outbox import handles

from . import services


@handles("payments.webhook_received")
def process_webhook(event):
    services.webhook_process(webhook_event_id=event.payload["webhook_event_id"])


@handles("payment.confirmed")
def issue_receipt(event):
    services.receipt_issue(transaction_id=event.payload["transaction_id"])
