from django.urls import path

from .api import class_groups, enrollments, guardians, schools, students, terms
from .imports import api as imports_api

urlpatterns = [
    path("", schools.SchoolDetailApi.as_view(), name="api-school-detail"),
    path("students/", students.StudentListApi.as_view(), name="api-students"),
    path("students/<int:pk>/", students.StudentDetailApi.as_view(), name="api-student-detail"),
    path("guardians/", guardians.GuardianListApi.as_view(), name="api-guardians"),
    path("guardians/<int:pk>/", guardians.GuardianDetailApi.as_view(), name="api-guardian-detail"),
    path("class-groups/", class_groups.ClassGroupListApi.as_view(), name="api-class-groups"),
    path("class-groups/<int:pk>/", class_groups.ClassGroupDetailApi.as_view(), name="api-class-group-detail"),
    path("terms/", terms.TermListApi.as_view(), name="api-terms"),
    path("terms/<int:pk>/", terms.TermDetailApi.as_view(), name="api-term-detail"),
    path("enrollments/", enrollments.EnrollmentListApi.as_view(), name="api-enrollments"),
    path("enrollments/<int:pk>/", enrollments.EnrollmentDetailApi.as_view(), name="api-enrollment-detail"),
    path("imports/upload-url/", imports_api.ImportUploadUrlApi.as_view(), name="api-import-upload-url"),
    path("imports/", imports_api.ImportListApi.as_view(), name="api-imports"),
    path("imports/<int:pk>/", imports_api.ImportDetailApi.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/errors-url/", imports_api.ImportErrorsUrlApi.as_view(), name="api-import-errors-url"),
]
