"""Recovery sessions' API (recovery_api.py), mounted under /api/v1/schools/<slug>/."""

from django.urls import path

from . import recovery_api as api

urlpatterns = [
    path("recovery-sessions/", api.RecoverySessionListApi.as_view(), name="api-recovery-sessions"),
    path("recovery-sessions/<int:pk>/", api.RecoverySessionDetailApi.as_view(), name="api-recovery-session-detail"),
    path("recovery-sessions/<int:pk>/assign/", api.RecoveryAssignApi.as_view(), name="api-recovery-session-assign"),
    path("recovery-sessions/<int:pk>/attend/", api.RecoveryAttendApi.as_view(), name="api-recovery-session-attend"),
    path("recovery-sessions/<int:pk>/cancel/", api.RecoveryCancelApi.as_view(), name="api-recovery-session-cancel"),
]
