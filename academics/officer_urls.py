"""The attendance officer's pages (views in officer_views.py), mounted with the registers under
/s/<slug>/attendance/."""

from django.urls import path

from . import marks_views
from . import officer_views as views

urlpatterns = [
    path("day/", views.attendance_day, name="attendance-day"),
    path("marks/", marks_views.attendance_marks, name="attendance-marks"),
    path("completeness/", views.attendance_completeness, name="attendance-completeness"),
    path("students/<int:student_id>/", views.student_attendance, name="attendance-student"),
    path("marks/<int:mark_id>/correct/", views.attendance_mark_correct, name="attendance-mark-correct"),
]
