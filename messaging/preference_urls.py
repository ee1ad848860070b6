"""A guardian's message preferences behind a signed link (no sign-in), mounted at
/messaging/preferences/ (see classpoint/urls.py)."""

from django.urls import path

from . import preferences

urlpatterns = [
    path("<str:token>/", preferences.preferences_view, name="messaging-preferences"),
]
