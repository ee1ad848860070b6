from django.urls import path

from . import api
from .imports import api as imports_api

urlpatterns = [
    path("", api.SchoolDetailApi.as_view(), name="api-school-detail"),
    path("students/", api.StudentListApi.as_view(), name="api-students"),
    path("students/<int:pk>/", api.StudentDetailApi.as_view(), name="api-student-detail"),
    path("guardians/", api.GuardianListApi.as_view(), name="api-guardians"),
    path("guardians/<int:pk>/", api.GuardianDetailApi.as_view(), name="api-guardian-detail"),
    path("class-groups/", api.ClassGroupListApi.as_view(), name="api-class-groups"),
    path("class-groups/<int:pk>/", api.ClassGroupDetailApi.as_view(), name="api-class-group-detail"),
    path("terms/", api.TermListApi.as_view(), name="api-terms"),
    path("terms/<int:pk>/", api.TermDetailApi.as_view(), name="api-term-detail"),
    path("enrollments/", api.EnrollmentListApi.as_view(), name="api-enrollments"),
    path("enrollments/<int:pk>/", api.EnrollmentDetailApi.as_view(), name="api-enrollment-detail"),
    path("imports/upload-url/", imports_api.ImportUploadUrlApi.as_view(), name="api-import-upload-url"),
    path("imports/", imports_api.ImportListApi.as_view(), name="api-imports"),
    path("imports/<int:pk>/", imports_api.ImportDetailApi.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/errors-url/", imports_api.ImportErrorsUrlApi.as_view(), name="api-import-errors-url"),
]
