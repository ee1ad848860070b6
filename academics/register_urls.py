"""The registers a teacher takes (views in register_views.py), under /s/<slug>/attendance/. A day in
the path is an ISO date (2026-12-05); the view answers 404 for anything else."""

from django.urls import path

from . import register_views as views

urlpatterns = [
    path("", views.attendance_today, name="attendance-today"),
    path("classes/<int:class_group_id>/<str:date>/", views.attendance_register, name="attendance-register"),
    path("lessons/<int:slot_id>/<str:date>/", views.attendance_lesson_register, name="attendance-lesson-register"),
]
