"""Routes filled in by the messaging views (see classpoint/urls.py for where each list is mounted)."""

from django.urls import path  # noqa: F401

from . import api

urlpatterns = [
    path("messages/", api.MessageListApi.as_view(), name="api-messages"),
    path("messages/<int:pk>/", api.MessageDetailApi.as_view(), name="api-message-detail"),
    path("messages/<int:pk>/retry/", api.MessageRetryApi.as_view(), name="api-message-retry"),
    path("announcements/", api.AnnouncementListApi.as_view(), name="api-announcements"),
    path("announcements/<int:pk>/publish/", api.AnnouncementPublishApi.as_view(), name="api-announcement-publish"),
    path("guardians/<int:guardian_id>/consent/", api.GuardianConsentApi.as_view(), name="api-guardian-consent"),
    path("guardian-lists/", api.GuardianListsApi.as_view(), name="api-guardian-lists"),
    path("guardian-lists/<int:pk>/", api.GuardianListDetailApi.as_view(), name="api-guardian-list-detail"),
]
