"""Links a guardian opens without an account: signed (nothing stored), bound to one school and one
application, and expiring. The needs-info link lets them send what the school asked for; the status
link shows where the application stands."""

from django.conf import settings

from classpoint.links import absolute_url, sign, verify

_NEEDS_INFO_SALT = "classpoint.registrar.needs-info-link"
_STATUS_SALT = "classpoint.registrar.status-link"
# After submitting the form, the browser is sent to a page that shows the reference.
_RECEIVED_SALT = "classpoint.registrar.received"
RECEIVED_MAX_AGE_SECONDS = 24 * 3600


def _token(application, salt):
    return sign({"s": application.school_id, "a": application.pk}, salt=salt)


def _open(token, *, salt, max_age_seconds):
    """(school_id, application_id), or None for a forged, damaged or expired token."""
    return verify(token, salt=salt, max_age=max_age_seconds, keys=("s", "a"))


def _absolute(name, school, token):
    return absolute_url(name, school.slug, token)


def needs_info_url(application):
    return _absolute("application-more", application.school, _token(application, _NEEDS_INFO_SALT))


def open_needs_info(token):
    return _open(token, salt=_NEEDS_INFO_SALT, max_age_seconds=settings.APPLICATION_LINK_MAX_AGE_DAYS * 86400)


def status_token(application):
    return _token(application, _STATUS_SALT)


def status_url(application):
    return _absolute("application-status", application.school, status_token(application))


def open_status(token):
    return _open(token, salt=_STATUS_SALT, max_age_seconds=settings.APPLICATION_STATUS_LINK_MAX_AGE_DAYS * 86400)


def received_token(application):
    return _token(application, _RECEIVED_SALT)


def open_received(token):
    return _open(token, salt=_RECEIVED_SALT, max_age_seconds=RECEIVED_MAX_AGE_SECONDS)
