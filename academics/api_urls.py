from django.urls import path

from . import api

urlpatterns = [
    path("schedule-slots/", api.SlotListApi.as_view(), name="api-schedule-slots"),
    path("schedule-slots/conflicts/", api.SlotConflictsApi.as_view(), name="api-schedule-slot-conflicts"),
    path("schedule-slots/<int:pk>/", api.SlotDetailApi.as_view(), name="api-schedule-slot-detail"),
]
