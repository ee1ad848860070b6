"""The school year, under /s/<slug>/year/: sessions and their terms, class groups, and the year-end
rollover. (A session's id is `academic_session_id`: `session_id` names academics' recovery sessions.)"""

from django.urls import path

from . import rollover_views, year_class_views, year_views

urlpatterns = [
    path("", year_views.year_home, name="school-year"),
    path("sessions/", year_views.sessions_page, name="year-sessions"),
    path("sessions/<int:academic_session_id>/", year_views.session_page, name="year-session"),
    path("sessions/<int:academic_session_id>/terms/", year_views.session_add_term, name="year-session-terms"),
    path("terms/<int:term_id>/", year_views.term_page, name="year-term"),
    path("terms/<int:term_id>/current/", year_views.term_make_current, name="year-term-current"),
    path("classes/", year_class_views.classes_page, name="year-classes"),
    path("classes/<int:class_group_id>/", year_class_views.class_page, name="year-class"),
    path("classes/<int:class_group_id>/delete/", year_class_views.class_delete, name="year-class-delete"),
    path("rollover/", rollover_views.rollover_page, name="year-rollover"),
]
