from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from schools import api as schools_api

from . import accounts, health, metrics, views

api_v1 = [
    path("schools/<slug:school_slug>/", include("schools.api_urls")),
    path("platform/schools/", schools_api.PlatformSchoolsApi.as_view(), name="api-platform-schools"),
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
    path("s/<slug:slug>/", include("schools.urls")),
]

handler404 = "classpoint.views.not_found"
handler500 = "classpoint.views.server_error"
handler403 = "classpoint.views.forbidden"
