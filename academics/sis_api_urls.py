"""The SIS sync's API (sis_api.py), mounted under /api/v1/schools/<slug>/."""

from django.urls import path

from . import sis_api

urlpatterns = [
    path("sis/sync-status/", sis_api.SyncStatusApi.as_view(), name="api-sis-sync-status"),
]
