from django.urls import include, path

from . import views
from .imports import views as imports

urlpatterns = [
    path("students/", views.students_list, name="students-list"),
    # A student's record and its tabs, and the guardian page (schools/record_urls.py).
    path("", include("schools.record_urls")),
    # Staff, roles, invitations and API tokens.
    path("people/", include("schools.people_urls")),
    # Sessions, terms, classes and the year-end rollover.
    path("year/", include("schools.year_urls")),
    # The school's own settings and feature switches.
    path("settings/", include("schools.settings_urls")),
    path("imports/", imports.imports_page, name="imports"),
    path("imports/template.csv", imports.import_template, name="import-template"),
    path("imports/<int:job_id>/", imports.import_detail, name="import-detail"),
    path("imports/<int:job_id>/errors.csv", imports.import_errors, name="import-errors"),
]
