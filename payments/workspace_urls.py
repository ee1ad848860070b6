"""Staff pages under /s/<slug>/payments/ (the webhook and hosted pages live in payments.urls)."""

from django.urls import path

from . import flagged_views, invoice_views, list_views, receipt_views, workspace_views

urlpatterns = [
    path("", list_views.payments_list, name="payments-list"),
    path("receipts/", list_views.receipts_list, name="receipts-list"),
    path("proofs/", workspace_views.proofs_queue, name="proofs-queue"),
    path("proofs/<int:proof_id>/", workspace_views.proof_detail, name="proof-detail"),
    path("proofs/<int:proof_id>/file/", workspace_views.proof_file, name="proof-file"),
    path("proofs/<int:proof_id>/review/", workspace_views.proof_review, name="proof-review"),
    path("invoices/<int:invoice_id>/proof/", workspace_views.proof_upload, name="proof-upload"),
    path("flagged/", flagged_views.flagged_queue, name="flagged-payments"),
    path("flagged/<int:transaction_id>/", flagged_views.flagged_detail, name="flagged-payment"),
    path("flagged/<int:transaction_id>/accept/", flagged_views.flagged_accept, name="flagged-payment-accept"),
    path("flagged/<int:transaction_id>/close/", flagged_views.flagged_close, name="flagged-payment-close"),
    # The payments part of fees' invoice page (payments/templatetags/payments_panel.py).
    path("invoices/<int:invoice_id>/payments/", invoice_views.invoice_payments, name="invoice-payments"),
    path("invoices/<int:invoice_id>/pay-link/", invoice_views.invoice_pay_link, name="invoice-pay-link"),
    path("invoices/<int:invoice_id>/payment/", invoice_views.invoice_payment_record, name="invoice-payment"),
    path("invoices/<int:invoice_id>/reverse/", invoice_views.invoice_payment_reverse, name="invoice-payment-reverse"),
    path("receipts/<int:receipt_id>/pdf/", receipt_views.receipt_pdf, name="receipt-pdf"),
]
