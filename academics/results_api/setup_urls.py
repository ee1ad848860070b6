"""The results set-up API (setup.py), mounted under /api/v1/schools/<slug>/results/."""

from django.urls import path

from . import setup as api

urlpatterns = [
    path("subjects/", api.SubjectListApi.as_view(), name="api-results-subjects"),
    path("subjects/<int:pk>/", api.SubjectDetailApi.as_view(), name="api-results-subject-detail"),
    path("subject-teachers/", api.SubjectTeacherListApi.as_view(), name="api-results-subject-teachers"),
    path(
        "subject-teachers/from-timetable/",
        api.SubjectTeachersFromTimetableApi.as_view(),
        name="api-results-subject-teachers-from-timetable",
    ),
    path("terms/<int:term_id>/components/", api.ComponentsApi.as_view(), name="api-results-components"),
    path("grade-scales/", api.GradeScaleListApi.as_view(), name="api-results-grade-scales"),
    path("grade-scales/<int:pk>/", api.GradeScaleDetailApi.as_view(), name="api-results-grade-scale-detail"),
    path("policy/", api.PolicyApi.as_view(), name="api-results-policy"),
    path("comment-bank/", api.CommentBankListApi.as_view(), name="api-results-comment-bank"),
    path("comment-bank/<int:pk>/", api.CommentBankDetailApi.as_view(), name="api-results-comment-bank-detail"),
]
