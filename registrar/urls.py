"""The registrar's workspace, mounted at /s/<slug>/registrar/ (see classpoint/urls.py)."""

from django.urls import path

from . import panel_views, settings_views, views

urlpatterns = [
    path("", views.board_page, name="registrar-board"),
    path("column/<str:status>/", views.board_column, name="registrar-column"),
    path("bulk/", views.bulk_move, name="registrar-bulk"),
    path("settings/", settings_views.settings_page, name="registrar-settings"),
    path("settings/documents/", settings_views.documents_save, name="registrar-settings-documents"),
    path("settings/admission-number/", settings_views.pattern_save, name="registrar-settings-pattern"),
    path("settings/admission-number/preview/", settings_views.pattern_preview, name="registrar-settings-preview"),
    path("<int:application_id>/", panel_views.application_detail, name="registrar-application"),
    path("<int:application_id>/move/", views.application_move, name="registrar-move"),
    path("<int:application_id>/approve/", panel_views.application_approve_view, name="registrar-approve"),
    path("<int:application_id>/convert/", panel_views.application_convert_view, name="registrar-convert"),
    path("<int:application_id>/place/", panel_views.application_place_view, name="registrar-place"),
    path("<int:application_id>/place/preview/", panel_views.placement_preview, name="registrar-place-preview"),
    path("<int:application_id>/documents/", panel_views.document_upload, name="registrar-document-upload"),
    path("<int:application_id>/documents/<int:document_id>/", panel_views.document_file, name="registrar-document"),
    path(
        "<int:application_id>/documents/<int:document_id>/review/",
        panel_views.document_review_view,
        name="registrar-document-review",
    ),
    path(
        "<int:application_id>/duplicates/<int:flag_id>/resolve/",
        panel_views.duplicate_resolve_view,
        name="registrar-duplicate-resolve",
    ),
]
