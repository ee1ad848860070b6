"""Score entry's API (results_api/scores.py), mounted under /api/v1/schools/<slug>/results/."""

from django.urls import path

from . import scores as api

GRID = "grids/<int:term_id>/<int:class_group_id>/<int:subject_id>/"

urlpatterns = [
    path("grids/", api.GridListApi.as_view(), name="api-results-grids"),
    path(GRID, api.GridDetailApi.as_view(), name="api-results-grid-detail"),
    path(f"{GRID}cells/", api.GridCellApi.as_view(), name="api-results-grid-cells"),
    path("locks/", api.LockListApi.as_view(), name="api-results-locks"),
    path("locks/<int:term_id>/<int:class_group_id>/", api.LockDetailApi.as_view(), name="api-results-lock-detail"),
    path("amendments/", api.AmendmentListApi.as_view(), name="api-results-amendments"),
]
