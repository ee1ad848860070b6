"""A stopped Redis is a cache miss, not a failed request (classpoint/cache.py): signed-in pages, the
sign-in page, the public application form and /api/health are served; health says degraded; the
replica router assumes a pin it cannot read; the process leaves Redis alone a few seconds after a
failure. With Redis up, the backend is Django's Redis cache unchanged."""

import json
import socket
import time
import uuid

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY

from classpoint import cache as shared_cache
from classpoint import ratelimit, replica
from classpoint.testing import in_a_fresh_process, last_line

pytestmark = pytest.mark.django_db


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_cache(location):
    return {
        "default": {
            "BACKEND": "classpoint.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port()}/0")
    shared_cache.forget()
    yield
    shared_cache.forget()


def errors(operation):
    return REGISTRY.get_sample_value("classpoint_cache_errors_total", {"operation": operation}) or 0


def test_pages_are_served_while_redis_is_down(redis_down, school, alice, verified_client, client):
    assert client.get("/account/login/").status_code == 200
    assert client.get("/s/greenfield/apply/").status_code == 200
    staff = verified_client(alice)
    for path in ("/s/greenfield/", "/s/greenfield/students/", "/s/greenfield/fees/invoices/"):
        response = staff.get(path)
        assert response.status_code == 200, path
    assert shared_cache.unavailable()


def test_health_says_degraded_not_unhealthy(redis_down, client):
    response = client.get("/api/health")
    body = response.json()
    assert response.status_code == 200
    assert body["checks"]["cache"]["status"] == "degraded"
    assert body["status"] != "unhealthy", body


def test_calls_answer_as_a_miss_and_the_process_leaves_redis_alone_a_while(redis_down):
    before = errors("get")
    started = time.monotonic()
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_or_set("k", lambda: 7) == 7
    assert cache.add("k", 1) is False
    assert cache.set("k", 1) is None and cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    assert ratelimit.take("form:1.2.3.4", window=60) == 1  # limits fail open for the outage
    # only the first call waited for the refused connection; the rest did not touch the network
    assert time.monotonic() - started < 2
    assert errors("get") >= before + 2
    shared_cache._outage.down_until = 0.0  # the retry period passes: the next call tries Redis again
    assert cache.get("k") is None and shared_cache.unavailable()


def test_the_replica_router_assumes_a_pin_it_cannot_read(redis_down):
    state = replica.RequestState(pin_key="replica-pin:abc", unsafe=False)
    assert cache.get("warm-up") is None  # the outage is noticed
    assert replica._is_pinned(state) is True


def _redis_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_up_it_is_an_ordinary_redis_cache(settings):
    settings.CACHES = redis_cache("redis://127.0.0.1:6379/14")
    shared_cache.forget()
    key = f"test:{uuid.uuid4().hex}"
    assert cache.add(key, 1, 30) is True and cache.add(key, 2, 30) is False
    assert cache.incr(key) == 2 and cache.get(key) == 2
    assert cache.get_many([key, key + "x"]) == {key: 2}
    assert cache.delete(key) is True and cache.get(key) is None
    assert not shared_cache.unavailable()


def test_redis_url_configures_the_resilient_backend():
    read = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.CACHES['default']))"
    )
    run = in_a_fresh_process(read, {"REDIS_URL": "redis://cache.int:6379/0"})
    assert run.returncode == 0, run.stderr
    configured = json.loads(last_line(run))
    assert configured["BACKEND"] == "classpoint.cache.ResilientRedisCache"
    assert configured["LOCATION"] == "redis://cache.int:6379/0"
    assert configured["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
