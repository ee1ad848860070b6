"""The guardian's own preferences page: a signed link bound to school and guardian, no login, each
change recorded as a consent change from the link; emails carry the link."""

import datetime
import urllib.parse

import pytest
from django.core import signing
from django.test import Client

from classpoint.messages import request_message
from classpoint.outbox import worker
from messaging import preferences
from messaging.models import ConsentChange, Message
from schools.models import Guardian
from schools.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def guardian(school):
    return f.GuardianFactory(school=school, consent_sms=True, consent_email=False)


def path_of(link):
    return urllib.parse.urlsplit(link).path


def token_of(link):
    return path_of(link).rstrip("/").rsplit("/", 1)[1]


def test_link_opens_the_guardians_page_without_login(client, school, guardian):
    link = preferences.preferences_link(school=school, guardian=guardian)
    assert link.startswith("http") and "/messaging/preferences/" in link
    response = client.get(path_of(link))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Greenfield Academy" in body and guardian.email in body and guardian.phone in body
    assert 'value="sms" checked' in body and 'value="email">' in body


def test_saving_records_each_changed_channel_from_the_link(school, guardian):
    client = Client(enforce_csrf_checks=True)
    url = path_of(preferences.preferences_link(school=school, guardian=guardian))
    page = client.get(url)
    token = page.context["csrf_token"]
    response = client.post(url, {"channels": ["email", "whatsapp"], "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert (guardian.consent_sms, guardian.consent_email, guardian.consent_whatsapp) == (False, True, True)
    changes = {(c.channel, c.granted, c.source) for c in ConsentChange.objects.filter(guardian=guardian)}
    assert changes == {("sms", False, "link"), ("email", True, "link"), ("whatsapp", True, "link")}
    # Saving the same choices again records nothing more.
    client.post(url, {"channels": ["email", "whatsapp"], "csrfmiddlewaretoken": str(token)})
    assert ConsentChange.objects.filter(guardian=guardian).count() == 3


def test_a_channel_without_an_address_is_not_offered_or_changed(client, school):
    guardian = f.GuardianFactory(school=school, email="", consent_sms=True)
    url = path_of(preferences.preferences_link(school=school, guardian=guardian))
    assert 'value="email"' not in client.get(url).content.decode()
    client.post(url, {"channels": ["sms", "email"]})
    guardian.refresh_from_db()
    assert guardian.consent_email is False and not ConsentChange.objects.filter(guardian=guardian).exists()


def test_forged_tampered_or_expired_links_are_not_found(client, school, guardian, settings):
    good = token_of(preferences.preferences_link(school=school, guardian=guardian))
    forged = signing.dumps({"s": school.pk, "g": guardian.pk}, salt="another-salt", compress=True)
    for token in (forged, good[:-2] + "xx", "x"):
        assert client.get(f"/messaging/preferences/{token}/").status_code == 404
        assert client.post(f"/messaging/preferences/{token}/", {"channels": []}).status_code == 404
    guardian.refresh_from_db()
    assert guardian.consent_sms is True and not ConsentChange.objects.exists()
    assert preferences.preferences_link_open(good) == (school.pk, guardian.pk)


def test_link_expires_after_the_configured_days(school, guardian, settings, monkeypatch):
    token = token_of(preferences.preferences_link(school=school, guardian=guardian))
    later = datetime.datetime.now().timestamp() + 366 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert preferences.preferences_link_open(token) is None
    settings.MESSAGING_PREFERENCES_LINK_MAX_AGE_DAYS = 400
    assert preferences.preferences_link_open(token) == (school.pk, guardian.pk)


def test_link_for_one_school_cannot_reach_a_guardian_elsewhere(client, school, other_school):
    theirs = Guardian.objects.for_school(other_school).first()
    # A token naming this school with another school's guardian (only we can sign, but the check holds).
    token = signing.dumps({"s": school.pk, "g": theirs.pk}, salt="messaging.preferences", compress=True)
    assert client.get(f"/messaging/preferences/{token}/").status_code == 404


def test_email_announcement_carries_the_guardians_own_link(school, guardian, django_capture_on_commit_callbacks):
    guardian.consent_email = True
    guardian.save()
    with django_capture_on_commit_callbacks(execute=False):
        request_message(
            school=school,
            template="ANNOUNCEMENT",
            guardian_ids=[guardian.pk],
            channel="email",
            urgent=True,
            dedupe_key="prefs-1",
            context={"title": "Mid-term break", "message": "School closes on Friday."},
        )
        worker.drain()
    message = Message.objects.for_school(school).get(guardian=guardian)
    assert message.channel == "email" and "Manage your messages: http" in message.body
    link = message.body.rsplit("Manage your messages: ", 1)[1].strip()
    assert preferences.preferences_link_open(token_of(link)) == (school.pk, guardian.pk)


def test_links_signed_before_the_kernel_helper_still_open(client, school, guardian):
    # Links in inboxes were made with signing.dumps under this salt: the same token format still opens.
    legacy = signing.dumps({"s": school.pk, "g": guardian.pk}, salt="messaging.preferences", compress=True)
    assert preferences.preferences_link_open(legacy) == (school.pk, guardian.pk)
    assert client.get(f"/messaging/preferences/{legacy}/").status_code == 200
    fresh = token_of(preferences.preferences_link(school=school, guardian=guardian))
    assert signing.loads(fresh, salt="messaging.preferences") == {"s": school.pk, "g": guardian.pk}
