"""The Documents tab of a pupil's record, mounted at /s/<slug>/ beside schools' record (classpoint/urls.py)."""

from django.urls import path

from . import student_tab_views as views

urlpatterns = [
    path("students/<int:student_id>/documents/", views.student_documents, name="student-documents"),
    path(
        "students/<int:student_id>/documents/<int:document_id>/",
        views.student_document_file,
        name="student-document",
    ),
]
