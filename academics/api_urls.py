from django.urls import path

from . import api, attendance_api, attendance_report_api

urlpatterns = [
    path("schedule-slots/", api.SlotListApi.as_view(), name="api-schedule-slots"),
    path("schedule-slots/conflicts/", api.SlotConflictsApi.as_view(), name="api-schedule-slot-conflicts"),
    path("schedule-slots/<int:pk>/", api.SlotDetailApi.as_view(), name="api-schedule-slot-detail"),
    path("attendance/registers/", attendance_api.RegisterListApi.as_view(), name="api-attendance-registers"),
    path(
        "attendance/registers/<int:pk>/",
        attendance_api.RegisterDetailApi.as_view(),
        name="api-attendance-register-detail",
    ),
    path(
        "attendance/registers/<int:pk>/marks/",
        attendance_api.RegisterMarksApi.as_view(),
        name="api-attendance-register-marks",
    ),
    path(
        "attendance/students/<int:student_id>/",
        attendance_api.StudentHistoryApi.as_view(),
        name="api-attendance-student-history",
    ),
    path(
        "attendance/marks/<int:pk>/correct/",
        attendance_api.MarkCorrectApi.as_view(),
        name="api-attendance-mark-correct",
    ),
    path("attendance/codes/", attendance_api.CodeListApi.as_view(), name="api-attendance-codes"),
    path("attendance/summary/", attendance_report_api.SummaryApi.as_view(), name="api-attendance-summary"),
    path(
        "attendance/completeness/",
        attendance_report_api.CompletenessApi.as_view(),
        name="api-attendance-completeness",
    ),
]
