from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .metrics import LOGIN_FAILURES


@receiver(user_login_failed, dispatch_uid="classpoint-login-failure-metric")
def count_login_failure(sender, credentials=None, request=None, **kwargs):
    LOGIN_FAILURES.inc()
