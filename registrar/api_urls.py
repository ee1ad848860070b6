from django.urls import path

from . import api, kpi_api, settings_api

urlpatterns = [
    path("applications/", api.ApplicationListApi.as_view(), name="api-applications"),
    path("applications/<int:pk>/", api.ApplicationDetailApi.as_view(), name="api-application-detail"),
    path(
        "applications/<int:pk>/transition/", api.ApplicationTransitionApi.as_view(), name="api-application-transition"
    ),
    path("applications/<int:pk>/place/", api.ApplicationPlaceApi.as_view(), name="api-application-place"),
    path("applications/<int:pk>/approve/", api.ApplicationApproveApi.as_view(), name="api-application-approve"),
    path("applications/<int:pk>/convert/", api.ApplicationConvertApi.as_view(), name="api-application-convert"),
    path("applications/<int:pk>/documents/", api.ApplicationDocumentsApi.as_view(), name="api-application-documents"),
    path(
        "applications/<int:pk>/documents/<int:doc_id>/review/",
        api.DocumentReviewApi.as_view(),
        name="api-application-document-review",
    ),
    path("admission-settings/", settings_api.AdmissionSettingsApi.as_view(), name="api-admission-settings"),
    path("duplicates/", api.DuplicateListApi.as_view(), name="api-application-duplicates"),
    path("duplicates/<int:pk>/resolve/", api.DuplicateResolveApi.as_view(), name="api-application-duplicate-resolve"),
    path("kpi/summary/", kpi_api.KpiSummaryApi.as_view(), name="api-kpi-summary"),
]
