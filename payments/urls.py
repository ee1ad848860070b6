from django.urls import path

from . import views

urlpatterns = [
    path("webhook/<slug:gateway_name>/", views.webhook, name="payments-webhook"),
    path("demo/checkout/<str:reference>/", views.demo_checkout, name="demo-checkout"),
]
