"""Test settings: the real settings with tasks run inline (django-q2 reads `sync` at import)."""

from .settings import *  # noqa: F403
from .settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never outside tests
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
CLASSPOINT_REQUIRE_2FA = True
OUTBOX_NUDGE_ON_COMMIT = False  # tests drain explicitly so they can assert each step
AXES_ENABLED = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Live-server request threads must not keep persistent connections past their request, or the test
# database cannot be dropped at teardown ("is being accessed by other users").
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
