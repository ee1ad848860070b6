"""/metrics is the platform's: it counts every school's deferred messages, in a request that
belongs to no school (the scoped manager refused it, and the gauge went missing)."""

import pytest

from messaging.models import Message
from messaging.tests.test_log import make_message

pytestmark = pytest.mark.django_db


def test_metrics_count_deferred_messages_of_every_school(client, school, other_school):
    make_message(school, status=Message.Status.DEFERRED, key="a")
    make_message(other_school, status=Message.Status.DEFERRED, key="b")
    text = client.get("/metrics").content.decode()
    assert "classpoint_messages_deferred 2.0" in text
