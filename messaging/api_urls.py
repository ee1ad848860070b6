"""Routes filled in by the messaging views (see classpoint/urls.py for where each list is mounted)."""

from django.urls import path  # noqa: F401

urlpatterns = []
