from django.urls import path

from . import award_views, document_views, views
from .setup_views import due_dates, items, schedules, sibling_discounts

urlpatterns = [
    path("invoices/", views.invoices_list, name="invoices-list"),
    path("defaulters/", views.defaulters_page, name="defaulters"),
    path("families/<int:guardian_id>/", views.family_account, name="family-account"),
    path("batches/new/", views.batch_new, name="invoice-batch-new"),
    path("batches/<int:batch_id>/", views.batch_detail, name="invoice-batch"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice-detail"),
    path("defaulters/send-reminders/", views.defaulters_remind, name="defaulters-remind"),
    path("setup/", items.items_list, name="fee-setup"),
    path("setup/items/new/", items.item_edit, name="fee-setup-item-new"),
    path("setup/items/<int:item_id>/", items.item_edit, name="fee-setup-item"),
    path("setup/items/<int:item_id>/active/", items.item_active, name="fee-setup-item-active"),
    path("setup/schedules/", schedules.schedules_list, name="fee-setup-schedules"),
    path("setup/schedules/new/", schedules.schedule_edit, name="fee-setup-schedule-new"),
    path("setup/schedules/line/", schedules.schedule_line, name="fee-setup-schedule-line"),
    path("setup/schedules/<int:schedule_id>/", schedules.schedule_edit, name="fee-setup-schedule"),
    path("setup/schedules/<int:schedule_id>/delete/", schedules.schedule_delete, name="fee-setup-schedule-delete"),
    path("setup/discounts/", sibling_discounts.discounts, name="fee-setup-discounts"),
    path("setup/due-dates/", due_dates.due_dates, name="fee-setup-due-dates"),
    path("invoices/<int:invoice_id>/pdf/", document_views.invoice_pdf, name="invoice-pdf"),
    path("awards/", award_views.awards_page, name="fee-awards"),
    path("awards/<int:award_id>/<slug:decision>/", award_views.award_decide, name="fee-award-decide"),
    path("invoices/<int:invoice_id>/instalments/", award_views.invoice_instalments, name="invoice-instalments"),
    path("invoices/<int:invoice_id>/apply-credit/", award_views.invoice_apply_credit, name="invoice-apply-credit"),
    path("invoices/<int:invoice_id>/<slug:action>/", views.invoice_action, name="invoice-action"),
]
