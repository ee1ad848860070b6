"""Signed links a person opens without an account: the kernel helper every app's links use."""

import datetime

import pytest
from django.core import signing
from django.urls import path

from classpoint import links

SALT = "classpoint.tests.link"
DAY = 86400


def _page(request, token):  # pragma: no cover - only reversed, never served
    raise AssertionError


urlpatterns = [path("open/<str:token>/", _page, name="test-link")]


def test_round_trip_gives_the_ids_in_the_order_asked():
    token = links.sign({"s": 7, "g": 42}, salt=SALT)
    assert links.verify(token, salt=SALT, max_age=DAY, keys=("s", "g")) == (7, 42)
    assert links.verify(token, salt=SALT, max_age=DAY, keys=("g", "s")) == (42, 7)


def test_token_is_url_safe_and_in_the_format_links_already_sent_use():
    # Links already in guardians' inboxes were made with signing.dumps(..., compress=True): same format.
    token = links.sign({"s": 1, "i": 2, "g": 3}, salt=SALT)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:.")
    assert signing.loads(token, salt=SALT) == {"s": 1, "i": 2, "g": 3}
    legacy = signing.dumps({"s": 1, "i": 2, "g": 3}, salt=SALT, compress=True)
    assert links.verify(legacy, salt=SALT, max_age=DAY, keys=("s", "i", "g")) == (1, 2, 3)


def test_tampered_token_is_refused():
    token = links.sign({"s": 7, "g": 42}, salt=SALT)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert links.verify(tampered, salt=SALT, max_age=DAY, keys=("s", "g")) is None
    # Another payload under the same signature: the signature covers the payload.
    _, rest = token.split(":", 1)
    other = links.sign({"s": 8, "g": 42}, salt=SALT).split(":", 1)[0]
    assert links.verify(f"{other}:{rest}", salt=SALT, max_age=DAY, keys=("s", "g")) is None
    for junk in ("", "x", "a:b:c", "..."):
        assert links.verify(junk, salt=SALT, max_age=DAY, keys=("s", "g")) is None


def test_a_token_for_one_kind_of_link_never_opens_another():
    token = links.sign({"s": 7, "g": 42}, salt=SALT)
    assert links.verify(token, salt="classpoint.tests.other-link", max_age=DAY, keys=("s", "g")) is None


def test_token_expires_after_max_age(monkeypatch):
    token = links.sign({"s": 7, "g": 42}, salt=SALT)
    now = datetime.datetime.now().timestamp()
    monkeypatch.setattr(signing.time, "time", lambda: now + 3 * DAY - 60)
    assert links.verify(token, salt=SALT, max_age=3 * DAY, keys=("s", "g")) == (7, 42)
    assert links.verify(token, salt=SALT, max_age=datetime.timedelta(days=3), keys=("s", "g")) == (7, 42)
    monkeypatch.setattr(signing.time, "time", lambda: now + 3 * DAY + 60)
    assert links.verify(token, salt=SALT, max_age=3 * DAY, keys=("s", "g")) is None
    assert links.verify(token, salt=SALT, max_age=datetime.timedelta(days=3), keys=("s", "g")) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"s": 7},  # an id missing
        {"s": 7, "g": "42"},  # not an integer
        {"s": 7, "g": True},  # bool is an int to Python, never an id
        {"s": 7, "g": None},
        [7, 42],  # not a mapping
        "7:42",
    ],
)
def test_a_signed_payload_without_every_id_is_refused(payload):
    token = signing.dumps(payload, salt=SALT, compress=True)
    assert links.verify(token, salt=SALT, max_age=DAY, keys=("s", "g")) is None


@pytest.mark.urls("classpoint.tests.test_links")
@pytest.mark.parametrize("site_url", ["https://app.classpoint.ng", "https://app.classpoint.ng/"])
def test_absolute_url_joins_site_url_and_the_path(settings, site_url):
    settings.SITE_URL = site_url
    assert links.absolute_url("test-link", "tok-en") == "https://app.classpoint.ng/open/tok-en/"
