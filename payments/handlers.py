"""Outbox consumers in payments. Idempotent: the gateway reference and the receipt's transaction
are unique, the message request has a dedupe key and a stored PDF is kept while it is current, so a
redelivery finds the work done.

`payment.confirmed` runs these in order, each in its own transaction: should rendering fail, the
receipt and the guardians' message stay done and the retry only renders."""

from classpoint.outbox import handles

from . import notices, services
from .models import Receipt


def _receipt(event):
    return Receipt.objects.filter(school_id=event.school_id, transaction_id=event.payload["transaction_id"]).first()


@handles("payments.webhook_received")
def process_webhook(event):
    services.webhook_process(webhook_event_id=event.payload["webhook_event_id"])


@handles("payment.confirmed")
def issue_receipt(event):
    services.receipt_issue(school=event.school, transaction_id=event.payload["transaction_id"])


@handles("payment.confirmed")
def send_receipt_to_guardians(event):
    receipt = _receipt(event)
    if receipt is not None:
        services.receipt_request_message(receipt_id=receipt.pk)


@handles("payment.confirmed")
def render_receipt_pdf(event):
    receipt = _receipt(event)
    if receipt is not None:
        services.receipt_render_pdf(receipt_id=receipt.pk)


@handles("payment.reversed")
def void_receipt_pdf(event):
    # The stored PDF predates the reversal, so it is stale and rendered again with the VOID stamp;
    # a redelivery finds the void copy current and leaves it.
    receipt = _receipt(event)
    if receipt is not None:
        services.receipt_render_pdf(receipt_id=receipt.pk)


# Fees issues and chases invoices; the guardians' notices carry payments' pay link, so payments asks for them.
@handles("invoice.issued")
def tell_guardians_invoice_issued(event):
    notices.request_invoice_issued(school=event.school, invoice_id=event.payload["invoice_id"])


@handles("invoice.overdue")
def tell_guardians_invoice_overdue(event):
    notices.request_overdue_notice(
        school=event.school,
        invoice_id=event.payload["invoice_id"],
        days_overdue=event.payload.get("days_overdue"),
        event_id=event.pk,
    )
