"""The family's links keep their salts, payloads and lifetimes: links already sent keep working, and
one kind of link never opens another's page."""

import datetime

import pytest
from django.core import signing

from registrar import links
from registrar.models import Application

from . import factories as rf

pytestmark = pytest.mark.django_db
S = Application.Status

# (salt, opener, lifetime in seconds or the setting that holds it in days) as links were first sent.
KINDS = {
    "needs_info": ("classpoint.registrar.needs-info-link", links.open_needs_info, "APPLICATION_LINK_MAX_AGE_DAYS"),
    "status": ("classpoint.registrar.status-link", links.open_status, "APPLICATION_STATUS_LINK_MAX_AGE_DAYS"),
    "received": ("classpoint.registrar.received", links.open_received, 24 * 3600),
}


@pytest.fixture
def application(school, registrar):
    return rf.in_status(school, S.NEEDS_INFO, registrar)


def _token(url):
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_signed_before_the_kernel_helper_still_opens(application, kind):
    salt, opener, _ = KINDS[kind]
    legacy = signing.dumps({"s": application.school_id, "a": application.pk}, salt=salt, compress=True)
    assert opener(legacy) == (application.school_id, application.pk)


def test_new_tokens_carry_the_same_payload_under_the_same_salts(application):
    made = {
        "needs_info": _token(links.needs_info_url(application)),
        "status": _token(links.status_url(application)),
        "received": links.received_token(application),
    }
    assert links.open_status(links.status_token(application)) == (application.school_id, application.pk)
    for kind, token in made.items():
        salt, opener, _ = KINDS[kind]
        assert signing.loads(token, salt=salt) == {"s": application.school_id, "a": application.pk}
        assert opener(token) == (application.school_id, application.pk)
        for other, (_, other_opener, _) in KINDS.items():
            if other != kind:
                assert other_opener(token) is None, (kind, other)


@pytest.mark.parametrize("kind", KINDS)
def test_each_link_lasts_as_long_as_it_did(application, kind, settings, monkeypatch):
    salt, opener, lifetime = KINDS[kind]
    seconds = lifetime if isinstance(lifetime, int) else getattr(settings, lifetime) * 86400
    token = signing.dumps({"s": application.school_id, "a": application.pk}, salt=salt, compress=True)
    now = datetime.datetime.now().timestamp()
    monkeypatch.setattr(signing.time, "time", lambda: now + seconds - 60)
    assert opener(token) == (application.school_id, application.pk)
    monkeypatch.setattr(signing.time, "time", lambda: now + seconds + 60)
    assert opener(token) is None
