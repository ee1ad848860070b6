"""Routes filled in by the messaging views (see classpoint/urls.py for where each list is mounted)."""

from django.urls import path  # noqa: F401

from . import callbacks, sns

urlpatterns = [
    path("twilio/status/", callbacks.twilio_status, name="twilio-status-callback"),
    path("twilio/inbound/", callbacks.twilio_inbound, name="twilio-inbound-callback"),
    path("ses/sns/", sns.ses_notification, name="ses-sns-callback"),
]
