"""Publishing results (results_api/publish.py), mounted under /api/v1/schools/<slug>/results/."""

from django.urls import path

from . import publish as api

urlpatterns = [
    path("publish/", api.ResultsPublishApi.as_view(), name="api-results-publish"),
    path("publish/status/", api.ResultsPublishStatusApi.as_view(), name="api-results-publish-status"),
]
