from django.urls import path

from . import views

urlpatterns = [
    path("", views.school_home, name="school-home"),
    path("students/", views.students_list, name="students-list"),
    path("students/<int:student_id>/", views.student_detail, name="student-detail"),
]
