from django.urls import path

from . import intervention_views as views
from . import letter_views

urlpatterns = [
    # The family's signed link to a letter (no sign-in).
    path("letters/<str:token>/", letter_views.guardian_letter, name="attendance-letter"),
    # The attendance officer's pages (intervention_views/).
    path("interventions/", views.intervention_list, name="intervention-list"),
    path("interventions/scan/", views.intervention_scan_now, name="intervention-scan"),
    path("interventions/letters/", views.intervention_letters, name="intervention-letters"),
    path("interventions/<int:intervention_id>/", views.intervention_detail, name="intervention-detail"),
    path("interventions/<int:intervention_id>/send/", views.intervention_send_view, name="intervention-send"),
    path(
        "interventions/<int:intervention_id>/acknowledge/",
        views.intervention_acknowledge_view,
        name="intervention-acknowledge",
    ),
    path("interventions/<int:intervention_id>/close/", views.intervention_close_view, name="intervention-close"),
    path(
        "interventions/<int:intervention_id>/meetings/",
        views.intervention_meeting_add_view,
        name="intervention-meeting-add",
    ),
    path("interventions/<int:intervention_id>/pdf/", views.intervention_pdf, name="intervention-pdf"),
]
