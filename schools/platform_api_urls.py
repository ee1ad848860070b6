"""The platform operators' API, mounted at /api/v1/platform/schools/ (see classpoint/urls.py)."""

from django.urls import path

from .api import schools

urlpatterns = [
    path("", schools.PlatformSchoolsApi.as_view(), name="api-platform-schools"),
]
