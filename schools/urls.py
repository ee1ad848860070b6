from django.urls import path

from . import views
from .imports import views as imports

urlpatterns = [
    path("students/", views.students_list, name="students-list"),
    path("students/<int:student_id>/", views.student_detail, name="student-detail"),
    path("imports/", imports.imports_page, name="imports"),
    path("imports/template.csv", imports.import_template, name="import-template"),
    path("imports/<int:job_id>/", imports.import_detail, name="import-detail"),
    path("imports/<int:job_id>/errors.csv", imports.import_errors, name="import-errors"),
]
