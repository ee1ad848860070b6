from django.urls import path

from . import api

urlpatterns = [
    path("fee-items/", api.FeeItemListApi.as_view(), name="api-fee-items"),
    path("fee-schedules/", api.FeeScheduleListApi.as_view(), name="api-fee-schedules"),
    path("invoices/", api.InvoiceListApi.as_view(), name="api-invoices"),
    path("invoices/<int:pk>/", api.InvoiceDetailApi.as_view(), name="api-invoice-detail"),
    path("invoices/<int:pk>/issue/", api.InvoiceIssueApi.as_view(), name="api-invoice-issue"),
    path("invoices/<int:pk>/void/", api.InvoiceVoidApi.as_view(), name="api-invoice-void"),
    path("invoices/<int:pk>/pdf/", api.InvoicePdfApi.as_view(), name="api-invoice-pdf"),
    path("invoices/<int:pk>/instalments/", api.InvoiceInstalmentsApi.as_view(), name="api-invoice-instalments"),
    path("awards/", api.AwardListApi.as_view(), name="api-awards"),
    path("awards/<int:pk>/approve/", api.AwardApproveApi.as_view(), name="api-award-approve"),
    path("awards/<int:pk>/reject/", api.AwardRejectApi.as_view(), name="api-award-reject"),
    path("awards/<int:pk>/revoke/", api.AwardRevokeApi.as_view(), name="api-award-revoke"),
    path("families/<int:guardian_id>/credit/", api.FamilyCreditApi.as_view(), name="api-family-credit"),
    path("defaulters/", api.DefaultersApi.as_view(), name="api-defaulters"),
    path("defaulters/send-reminders/", api.DefaultersRemindApi.as_view(), name="api-defaulters-remind"),
]
