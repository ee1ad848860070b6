"""Outbox consumers in fees. Idempotent: one Allocation per transaction."""

from classpoint.outbox import handles

from . import services


@handles("payment.confirmed")
def allocate_payment(event):
    p = event.payload
    services.invoice_apply_payment(
        school=event.school,
        invoice_id=p["invoice_id"],
        transaction_id=p["transaction_id"],
        amount_minor=p["amount_minor"],
    )


@handles("invoices.batch_requested")
def start_batch(event):
    from django.conf import settings
    from django_q.tasks import async_task

    from .models import InvoiceBatch

    if (
        InvoiceBatch.objects.for_school(event.school_id)
        .filter(pk=event.payload["batch_id"], status=InvoiceBatch.Status.PENDING)
        .exists()
    ):
        # Its own task: a school-wide run must not hold up the outbox. The claim makes reruns no-ops.
        async_task(
            "fees.tasks.run_invoice_batch",
            event.payload["batch_id"],
            group="invoicing",
            timeout=settings.IMPORT_TASK_TIMEOUT,
        )


@handles("payment.reversed")
def restore_balance(event):
    p = event.payload
    services.invoice_reverse_payment(
        school=event.school, invoice_id=p["invoice_id"], transaction_id=p["transaction_id"]
    )
