"""Score entry (score_views.py) under /s/<slug>/results/: the member's grids, a grid with its cell
endpoint, CSV export and import and amendments, and locking a class's term."""

from django.urls import path

from . import score_views as views

GRID = "<int:term_id>/<int:class_group_id>/<int:subject_id>/"

urlpatterns = [
    path("", views.results_home, name="results-home"),
    path(GRID, views.results_grid, name="results-grid"),
    path(f"{GRID}cell/", views.results_grid_cell, name="results-grid-cell"),
    path(f"{GRID}csv/", views.results_grid_csv, name="results-grid-csv"),
    path(f"{GRID}import/", views.results_grid_import, name="results-grid-import"),
    path(f"{GRID}amend/", views.results_grid_amend, name="results-grid-amend"),
    path("locks/<int:term_id>/<int:class_group_id>/", views.results_lock, name="results-lock"),
    path("locks/<int:term_id>/<int:class_group_id>/unlock/", views.results_unlock, name="results-unlock"),
]
