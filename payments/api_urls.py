from django.urls import path

from . import api, flagged_api, proofs_api

urlpatterns = [
    path("invoices/<int:pk>/pay-link/", api.PayLinkApi.as_view(), name="api-invoice-pay-link"),
    path("invoices/<int:pk>/payments/", api.CounterPaymentApi.as_view(), name="api-invoice-payments"),
    path("payment-intents/", api.IntentListApi.as_view(), name="api-payment-intents"),
    path("transactions/", api.TransactionListApi.as_view(), name="api-transactions"),
    path("transactions/<int:pk>/reverse/", api.TransactionReverseApi.as_view(), name="api-transaction-reverse"),
    path("flagged-payments/", flagged_api.FlaggedListApi.as_view(), name="api-flagged-payments"),
    path(
        "flagged-payments/<int:pk>/accept/", flagged_api.FlaggedAcceptApi.as_view(), name="api-flagged-payment-accept"
    ),
    path("flagged-payments/<int:pk>/close/", flagged_api.FlaggedCloseApi.as_view(), name="api-flagged-payment-close"),
    path("receipts/", api.ReceiptListApi.as_view(), name="api-receipts"),
    path("receipts/<int:pk>/download-url/", api.ReceiptDownloadUrlApi.as_view(), name="api-receipt-download-url"),
    path("proofs/upload-url/", proofs_api.ProofUploadUrlApi.as_view(), name="api-proof-upload-url"),
    path("proofs/", proofs_api.ProofListApi.as_view(), name="api-proofs"),
    path("proofs/<int:pk>/", proofs_api.ProofDetailApi.as_view(), name="api-proof-detail"),
    path("proofs/<int:pk>/review/", proofs_api.ProofReviewApi.as_view(), name="api-proof-review"),
    path("proofs/<int:pk>/file-url/", proofs_api.ProofFileUrlApi.as_view(), name="api-proof-file-url"),
    path("invoices/<int:pk>/proofs/", proofs_api.InvoiceProofsApi.as_view(), name="api-invoice-proofs"),
]
