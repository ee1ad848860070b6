"""academics' tabs of a pupil's record, mounted at /s/<slug>/ beside schools' record (classpoint/urls.py)."""

from django.urls import path

from . import student_tab_views as views

urlpatterns = [
    path("students/<int:student_id>/attendance/", views.student_attendance_tab, name="student-attendance"),
    path("students/<int:student_id>/results/", views.student_results_tab, name="student-results"),
]
