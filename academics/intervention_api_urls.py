"""Truancy interventions' API (intervention_api.py), mounted under /api/v1/schools/<slug>/."""

from django.urls import path

from . import intervention_api as api

urlpatterns = [
    path("attendance/interventions/", api.InterventionListApi.as_view(), name="api-interventions"),
    path("attendance/interventions/scan/", api.InterventionScanApi.as_view(), name="api-interventions-scan"),
    path("attendance/interventions/<int:pk>/", api.InterventionDetailApi.as_view(), name="api-intervention-detail"),
    path("attendance/interventions/<int:pk>/send/", api.InterventionSendApi.as_view(), name="api-intervention-send"),
    path(
        "attendance/interventions/<int:pk>/acknowledge/",
        api.InterventionAcknowledgeApi.as_view(),
        name="api-intervention-acknowledge",
    ),
    path("attendance/interventions/<int:pk>/close/", api.InterventionCloseApi.as_view(), name="api-intervention-close"),
    path(
        "attendance/interventions/<int:pk>/meetings/",
        api.InterventionMeetingApi.as_view(),
        name="api-intervention-meetings",
    ),
]
