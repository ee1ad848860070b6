"""Whose address a request comes from: REMOTE_ADDR, unless it is a configured proxy, in which case
the hop that proxy saw (X-Forwarded-For, read from the right). Rate limits, sign-in lockouts, the
audit log and the metrics allowlist all ask the same question, so they all get this answer."""

import pytest
from axes.helpers import get_client_ip_address
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from classpoint.net import client_ip

rf = RequestFactory()


def request_from(peer, forwarded=None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_by_default_a_forwarded_header_is_ignored(settings):
    # given: a production-like deployment that names no proxy
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = []
    # when / then: the client cannot choose its own address
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_is_believed_about_the_hop_it_saw(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(request_from("127.0.0.1", "198.51.100.1")) == "198.51.100.1"


def test_hops_a_client_wrote_before_the_proxy_appended_its_own_are_not_believed(settings):
    # given: nginx appends the address it saw to whatever X-Forwarded-For the client sent
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # then: the client is the rightmost hop that is not a trusted proxy
    assert client_ip(request_from("127.0.0.1", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    request = request_from("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3")
    assert client_ip(request) == "198.51.100.1"


def test_a_malformed_hop_stops_the_walk_at_the_last_good_one(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.2", "not-an-ip")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "not-an-ip, 10.9.9.9")) == "10.9.9.9"


def test_addresses_are_normalised(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("::ffff:10.0.0.2", "[2001:db8::1]:4711")) == "2001:db8::1"
    assert client_ip(request_from("10.0.0.2", "198.51.100.1:5555")) == "198.51.100.1"


def test_a_bad_trusted_proxies_setting_is_refused_loudly(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]
    with pytest.raises(ImproperlyConfigured, match="proxy.internal"):
        client_ip(request_from("10.0.0.2", "198.51.100.1"))


def test_sign_in_lockouts_count_the_same_address(settings):
    # given: axes decides whom to lock out by address
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # then: it believes exactly what client_ip believes, no more
    assert get_client_ip_address(request_from("127.0.0.1", "198.51.100.1")) == "198.51.100.1"
    assert get_client_ip_address(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_the_metrics_allowlist_is_not_opened_by_a_local_proxy(client, db, settings):
    # given: nginx on the same host forwards everyone, and the allowlist names localhost
    settings.METRICS_REQUIRE_AUTH = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # when: an outside client comes through the proxy / a local scraper asks directly
    outside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    # then
    assert outside.status_code == 403
    assert local.status_code == 200


def test_the_audit_log_records_the_forwarded_client(settings):
    from classpoint.context import client_ip_var
    from classpoint.middleware import RequestIdMiddleware

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    seen = []
    RequestIdMiddleware(lambda request: seen.append(client_ip_var.get()) or _Response())(
        request_from("127.0.0.1", "198.51.100.1")
    )
    assert seen == ["198.51.100.1"]


class _Response(dict):
    pass
