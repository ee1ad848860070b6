"""Results set-up pages (results_setup_views.py, results_setup_grading_views.py), mounted under
/s/<slug>/results/setup/. Term pages take the term as `?term_id=`."""

from django.urls import path

from . import results_setup_grading_views as grading
from . import results_setup_views as views

urlpatterns = [
    path("", views.setup_home, name="results-setup"),
    path("subjects/", views.setup_subjects, name="results-setup-subjects"),
    path("subjects/<int:subject_id>/", views.setup_subject, name="results-setup-subject"),
    path("subjects/<int:subject_id>/retire/", views.setup_subject_retire, name="results-setup-subject-retire"),
    path("teachers/", views.setup_teachers, name="results-setup-teachers"),
    path("teachers/from-timetable/", views.setup_teachers_fill, name="results-setup-teachers-fill"),
    path("assessments/", views.setup_components, name="results-setup-components"),
    path("assessments/copy/", views.setup_components_copy, name="results-setup-components-copy"),
    path("grade-scale/", grading.setup_scale, name="results-setup-scale"),
    path("grade-scale/use/", grading.setup_scale_use, name="results-setup-scale-use"),
    path("settings/", grading.setup_settings, name="results-setup-settings"),
    path("comments/", grading.setup_comments, name="results-setup-comments"),
    path("comments/remove/", grading.setup_comment_remove, name="results-setup-comment-remove"),
]
