"""Report cards and broadsheets (results_api/cards.py), mounted under /api/v1/schools/<slug>/results/."""

from django.urls import path

from . import cards as api

CARD = "report-cards/<int:term_id>/<int:student_id>/"

urlpatterns = [
    path("report-cards/", api.ReportCardListApi.as_view(), name="api-results-report-cards"),
    path(CARD, api.ReportCardDetailApi.as_view(), name="api-results-report-card"),
    path(f"{CARD}pdf/", api.ReportCardPdfApi.as_view(), name="api-results-report-card-pdf"),
    path(
        "broadsheets/<int:term_id>/<int:class_group_id>/",
        api.BroadsheetApi.as_view(),
        name="api-results-broadsheet",
    ),
]
