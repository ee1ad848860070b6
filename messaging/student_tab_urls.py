"""messaging's tabs of a pupil's record and of a guardian's page, mounted at /s/<slug>/ beside
schools' record (classpoint/urls.py)."""

from django.urls import path

from . import student_tab_views as views

urlpatterns = [
    path("students/<int:student_id>/messages/", views.student_messages, name="student-messages"),
    path("guardians/<int:guardian_id>/messages/", views.guardian_messages, name="guardian-messages"),
]
