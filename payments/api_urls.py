from django.urls import path

from . import api

urlpatterns = [
    path("invoices/<int:pk>/pay-link/", api.PayLinkApi.as_view(), name="api-invoice-pay-link"),
    path("invoices/<int:pk>/payments/", api.CounterPaymentApi.as_view(), name="api-invoice-payments"),
    path("transactions/", api.TransactionListApi.as_view(), name="api-transactions"),
    path("transactions/<int:pk>/reverse/", api.TransactionReverseApi.as_view(), name="api-transaction-reverse"),
    path("receipts/", api.ReceiptListApi.as_view(), name="api-receipts"),
]
