from django.urls import path

from . import views

urlpatterns = [
    path("invoices/", views.invoices_list, name="invoices-list"),
    path("defaulters/", views.defaulters_page, name="defaulters"),
    path("families/<int:guardian_id>/", views.family_account, name="family-account"),
    path("batches/new/", views.batch_new, name="invoice-batch-new"),
    path("batches/<int:batch_id>/", views.batch_detail, name="invoice-batch"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice-detail"),
    path("invoices/<int:invoice_id>/<slug:action>/", views.invoice_action, name="invoice-action"),
]
