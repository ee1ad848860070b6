"""Idempotency-Key: a request that failed on our side promised nothing, so its key is free again;
a key left "in progress" by a process that died is not held for ever."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from classpoint.api.views import ApiView
from classpoint.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

BODY = {"name": "Ada"}


class FlakyApi(ApiView):
    """Raises (an uncaught server error) on its first call, answers 201 afterwards."""

    calls = 0

    def post(self, request):
        type(self).calls += 1
        if type(self).calls == 1:
            raise RuntimeError("the database went away")
        return Response({"run": type(self).calls}, status=status.HTTP_201_CREATED)


@pytest.fixture
def flaky():
    FlakyApi.calls = 0
    return FlakyApi.as_view()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("integrator")


def _post(view, user, key="key-1", body=BODY):
    request = APIRequestFactory().post("/api/v1/flaky/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    force_authenticate(request, user)
    return view(request)


def test_a_request_that_raised_releases_its_key_and_the_retry_runs(flaky, user):
    # given a request whose view raised an uncaught exception
    with pytest.raises(RuntimeError):
        _post(flaky, user)
    assert not IdempotencyRecord.objects.filter(user=user, key="key-1").exists()
    # when the client retries with the same key and body
    retry = _post(flaky, user)
    # then the view runs again, and its answer is the one replayed from now on
    assert retry.status_code == 201 and retry.data == {"run": 2}
    replay = _post(flaky, user)
    assert replay.status_code == 201 and replay.data == {"run": 2} and replay["Idempotent-Replayed"] == "true"
    assert FlakyApi.calls == 2


def test_a_key_in_progress_answers_409_while_its_request_may_still_run(flaky, user):
    FlakyApi.calls = 1  # no failure this time
    _in_progress(user, age=datetime.timedelta(seconds=5))
    response = _post(flaky, user)
    assert response.status_code == 409 and response.data["error"]["code"] == "idempotency_in_progress"
    assert FlakyApi.calls == 1


def test_a_key_left_in_progress_by_a_dead_process_is_taken_over_after_the_timeout(flaky, user, settings):
    # given a record left "in progress" longer ago than any request may run (its process was killed)
    FlakyApi.calls = 1
    _in_progress(user, age=datetime.timedelta(seconds=settings.IDEMPOTENCY_IN_PROGRESS_TIMEOUT_SECONDS + 1))
    # when the client retries
    response = _post(flaky, user)
    # then the request runs and its answer is kept
    assert response.status_code == 201 and FlakyApi.calls == 2
    record = IdempotencyRecord.objects.get(user=user, key="key-1")
    assert record.status_code == 201 and record.response_body == {"run": 2}


def test_a_stale_key_with_another_body_is_still_a_conflict(flaky, user, settings):
    FlakyApi.calls = 1
    _in_progress(user, age=datetime.timedelta(seconds=settings.IDEMPOTENCY_IN_PROGRESS_TIMEOUT_SECONDS + 1))
    response = _post(flaky, user, body={"name": "Someone else"})
    assert response.status_code == 409 and response.data["error"]["code"] == "idempotency_conflict"


def _in_progress(user, *, age):
    """A record exactly as `begin` leaves it for BODY, created `age` ago."""
    from rest_framework.request import Request

    from classpoint.api.idempotency import request_fingerprint

    raw = APIRequestFactory().post("/api/v1/flaky/", BODY, format="json")
    IdempotencyRecord.objects.create(
        user=user,
        key="key-1",
        method="POST",
        path="/api/v1/flaky/",
        request_hash=request_fingerprint(Request(raw)),
        created_at=timezone.now() - age,
    )
