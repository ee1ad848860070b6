"""Every write to payments. Crediting is guarded four times: the webhook event is stored once,
the gateway reference is unique per school, a pay link is credited once (its row lock, then a
constraint), and fees allocates once per transaction.

One module per topic; callers import from here (`from payments import services`,
`from payments.services import transaction_record`).
"""

from .intents import intent_create, intents_abandon_stale
from .receipts import receipt_issue, receipt_pdf_link, receipt_render_pdf, receipt_request_message
from .transactions import transaction_record, transaction_reverse
from .webhooks import webhook_process, webhook_receive

__all__ = [
    "intent_create",
    "intents_abandon_stale",
    "receipt_issue",
    "receipt_pdf_link",
    "receipt_render_pdf",
    "receipt_request_message",
    "transaction_record",
    "transaction_reverse",
    "webhook_process",
    "webhook_receive",
]
