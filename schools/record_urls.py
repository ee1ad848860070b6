from django.urls import path

from . import record_views

urlpatterns = [
    path("students/<int:student_id>/", record_views.student_detail, name="student-detail"),
]
