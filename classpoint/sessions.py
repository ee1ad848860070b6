"""Ending a user's sessions at once (their access was taken away), whatever the session engine.

Every sign-in records its session key (`classpoint.models.UserSession`); ending a user's sessions
asks the configured engine to delete each recorded key, so a database, cache or cached-database
session stops working on the user's next request. (Signed-cookie sessions live only in the browser
and cannot be ended from the server; Classpoint does not use them.)"""

from importlib import import_module

from django.conf import settings

from .models import UserSession


def sessions_end(*, user):
    """Deletes every recorded session of `user`; returns how many were ended."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store_class(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)
