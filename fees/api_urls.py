from django.urls import path

from . import api

urlpatterns = [
    path("fee-items/", api.FeeItemListApi.as_view(), name="api-fee-items"),
    path("fee-schedules/", api.FeeScheduleListApi.as_view(), name="api-fee-schedules"),
    path("invoices/", api.InvoiceListApi.as_view(), name="api-invoices"),
    path("invoices/<int:pk>/", api.InvoiceDetailApi.as_view(), name="api-invoice-detail"),
    path("invoices/<int:pk>/issue/", api.InvoiceIssueApi.as_view(), name="api-invoice-issue"),
    path("invoices/<int:pk>/void/", api.InvoiceVoidApi.as_view(), name="api-invoice-void"),
    path("defaulters/", api.DefaultersApi.as_view(), name="api-defaulters"),
]
