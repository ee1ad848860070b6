from django.urls import path

from . import guardian_views, views

urlpatterns = [
    path("webhook/<slug:gateway_name>/", views.webhook, name="payments-webhook"),
    path("demo/checkout/<str:reference>/", views.demo_checkout, name="demo-checkout"),
    path("pay/<str:token>/", guardian_views.guardian_invoice, name="guardian-invoice"),
    path("pay/<str:token>/receipts/<int:receipt_id>/", guardian_views.guardian_receipt, name="guardian-receipt"),
]
