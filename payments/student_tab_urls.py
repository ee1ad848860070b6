"""The Fees tab of a pupil's record, mounted at /s/<slug>/ beside schools' record (classpoint/urls.py)."""

from django.urls import path

from . import student_tab_views

urlpatterns = [path("students/<int:student_id>/fees/", student_tab_views.student_fees, name="student-fees")]
