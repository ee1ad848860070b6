from django.urls import path

from . import views

urlpatterns = [
    path("", views.timetable, name="timetable"),
    path("teachers/", views.teacher_week, name="timetable-teacher"),
    path("slots/new/", views.slot_new, name="timetable-slot-new"),
    path("slots/<int:slot_id>/", views.slot_edit, name="timetable-slot"),
    path("slots/<int:slot_id>/delete/", views.slot_delete, name="timetable-slot-delete"),
    path("conflicts/", views.slot_conflicts, name="timetable-conflicts"),
]
