"""The school's own settings (settings_views.py), mounted at /s/<slug>/settings/: the page, and one
URL per section its forms post to."""

from django.urls import path

from . import settings_views as views

urlpatterns = [
    path("", views.settings_page, name="school-settings"),
    path("details/", views.details_save, name="school-settings-details"),
    path("contact/", views.contact_save, name="school-settings-contact"),
    path("logo/", views.logo_save, name="school-settings-logo"),
    path("logo/remove/", views.logo_remove, name="school-settings-logo-remove"),
    path("messaging/", views.messaging_save, name="school-settings-messaging"),
    path("regional/", views.regional_save, name="school-settings-regional"),
    path("public-form/", views.public_form_save, name="school-settings-public-form"),
    path("features/", views.features_save, name="school-settings-features"),
]
