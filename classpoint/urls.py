from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import accounts, audit_api, audit_views, files, health, metrics, views

api_v1 = [
    path("schools/<slug:school_slug>/", include("schools.api_urls")),
    path("schools/<slug:school_slug>/", include("fees.api_urls")),
    path("schools/<slug:school_slug>/", include("payments.api_urls")),
    path("schools/<slug:school_slug>/", include("messaging.api_urls")),
    path("schools/<slug:school_slug>/", include("academics.api_urls")),
    path("schools/<slug:school_slug>/", include("academics.intervention_api_urls")),
    path("schools/<slug:school_slug>/", include("academics.recovery_api_urls")),
    path("schools/<slug:school_slug>/", include("academics.sis_api_urls")),
    path("schools/<slug:school_slug>/results/", include("academics.results_api.setup_urls")),
    path("schools/<slug:school_slug>/results/", include("academics.results_api.score_urls")),
    path("schools/<slug:school_slug>/results/", include("academics.results_api.report_urls")),
    path("schools/<slug:school_slug>/results/", include("academics.results_api.publish_urls")),
    path("schools/<slug:school_slug>/", include("registrar.api_urls")),
    path("schools/<slug:school_slug>/audit-log/", audit_api.AuditLogApi.as_view(), name="api-audit-log"),
    path("platform/schools/", include("schools.platform_api_urls")),
]

urlpatterns = [
    path("", views.workspace_home, name="workspace-home"),
    path("admin/", admin.site.urls),
    path("account/", include(accounts.urlpatterns)),
    path("api/health", health.health_view, name="health"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("files/<str:token>/", files.signed_file_view, name="signed-file"),
    path("files/upload/<str:token>/", csrf_exempt(files.signed_upload_view), name="signed-upload"),
    path("payments/", include("payments.urls")),
    path("messaging/callbacks/", include("messaging.callback_urls")),
    path("messaging/preferences/", include("messaging.preference_urls")),
    path("results/", include("academics.result_link_urls")),
    # The school home is the registrar's dashboard (it reads every domain); the schools' pages follow.
    path("s/<slug:slug>/", include("registrar.home_urls")),
    path("s/<slug:slug>/", include("schools.urls")),
    # The tabs the apps above schools add to a pupil's record and a guardian's page (record_tabs.py).
    path("s/<slug:slug>/", include("payments.student_tab_urls")),
    path("s/<slug:slug>/", include("academics.student_tab_urls")),
    path("s/<slug:slug>/", include("messaging.student_tab_urls")),
    path("s/<slug:slug>/", include("registrar.student_tab_urls")),
    path("s/<slug:slug>/fees/", include("fees.urls")),
    path("s/<slug:slug>/payments/", include("payments.workspace_urls")),
    path("s/<slug:slug>/messages/", include("messaging.urls")),
    path("s/<slug:slug>/timetable/", include("academics.urls")),
    path("s/<slug:slug>/attendance/", include("academics.attendance_urls")),
    path("s/<slug:slug>/results/setup/", include("academics.results_setup_urls")),
    path("s/<slug:slug>/results/cards/", include("academics.report_urls")),
    path("s/<slug:slug>/results/publish/", include("academics.publish_urls")),
    path("s/<slug:slug>/results/", include("academics.score_urls")),
    path("s/<slug:slug>/registrar/", include("registrar.urls")),
    # Public (no sign-in): the application form and the family's signed links.
    path("s/<slug:slug>/apply/", include("registrar.public_urls")),
    path("s/<slug:slug>/audit/", audit_views.audit_log, name="audit-log"),
]

handler404 = "classpoint.views.not_found"
handler500 = "classpoint.views.server_error"
handler403 = "classpoint.views.forbidden"
