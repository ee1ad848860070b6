from django.urls import path

from .api import awards, defaulters, families, fee_items, fee_schedules, invoices

urlpatterns = [
    path("fee-items/", fee_items.FeeItemListApi.as_view(), name="api-fee-items"),
    path("fee-schedules/", fee_schedules.FeeScheduleListApi.as_view(), name="api-fee-schedules"),
    path("invoices/", invoices.InvoiceListApi.as_view(), name="api-invoices"),
    path("invoices/<int:pk>/", invoices.InvoiceDetailApi.as_view(), name="api-invoice-detail"),
    path("invoices/<int:pk>/issue/", invoices.InvoiceIssueApi.as_view(), name="api-invoice-issue"),
    path("invoices/<int:pk>/void/", invoices.InvoiceVoidApi.as_view(), name="api-invoice-void"),
    path("invoices/<int:pk>/pdf/", invoices.InvoicePdfApi.as_view(), name="api-invoice-pdf"),
    path("invoices/<int:pk>/instalments/", invoices.InvoiceInstalmentsApi.as_view(), name="api-invoice-instalments"),
    path("awards/", awards.AwardListApi.as_view(), name="api-awards"),
    path("awards/<int:pk>/approve/", awards.AwardApproveApi.as_view(), name="api-award-approve"),
    path("awards/<int:pk>/reject/", awards.AwardRejectApi.as_view(), name="api-award-reject"),
    path("awards/<int:pk>/revoke/", awards.AwardRevokeApi.as_view(), name="api-award-revoke"),
    path("families/<int:guardian_id>/credit/", families.FamilyCreditApi.as_view(), name="api-family-credit"),
    path("defaulters/", defaulters.DefaultersApi.as_view(), name="api-defaulters"),
    path("defaulters/send-reminders/", defaulters.DefaultersRemindApi.as_view(), name="api-defaulters-remind"),
]
