"""Recovery sessions' pages (views in recovery_views.py), mounted with the registers under
/s/<slug>/attendance/."""

from django.urls import path

from . import recovery_views as views

urlpatterns = [
    path("recovery/", views.recovery_list, name="recovery-list"),
    path("recovery/new/", views.recovery_new, name="recovery-new"),
    path("recovery/<int:session_id>/", views.recovery_detail, name="recovery-detail"),
    path("recovery/<int:session_id>/assign/", views.recovery_assign_view, name="recovery-assign"),
    path("recovery/<int:session_id>/unassign/", views.recovery_unassign_view, name="recovery-unassign"),
    path("recovery/<int:session_id>/attend/", views.recovery_attend_view, name="recovery-attend"),
    path("recovery/<int:session_id>/cancel/", views.recovery_cancel_view, name="recovery-cancel"),
]
