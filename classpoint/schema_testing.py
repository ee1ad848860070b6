"""Every /api/v1/ response a test client gets is checked against the published OpenAPI schema.

The schema (drf-spectacular, as served at /api/schema/) is generated once per session. Each
response to a documented operation must have a documented status code and a body valid against
that status's schema; a response that does not conform fails the test that received it, at the
request that received it. So the schema integrators code against cannot drift from what the API
returns: a new field, a null, an error status nobody documented is caught by the test that saw it.

Not checked: 5xx (a server error is a defect of its own, and tests that provoke one on purpose
assert on it), 405, and errors for a path or method the schema does not have (the tenancy walker probes
every route with every method; DRF checks permissions before it finds the method missing, so a
PATCH to a GET-only endpoint may be a 403). A success from an operation missing from the schema
fails: every endpoint is documented.
"""

import json
import threading
from functools import cache

import pytest

API_PREFIX = "/api/v1/"
_seen = {"responses": 0, "operations": set()}


# Concurrency tests answer from many threads at once: the first schema is built once, by one of them
# (drf-spectacular's generator is not safe to run in parallel).
_building = threading.Lock()


def schema():
    with _building:
        return _schema()


@cache
def _schema():
    """The schema as /api/schema/?format=json serves it (rendered: lazy strings resolved)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def openapi():
    with _building:
        return _openapi()


@cache
def _openapi():
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(_schema())


class _Request:
    """The parts of the request openapi-core needs to find the operation (not the body: a response
    check does not read it, and a multipart body may already be consumed)."""

    def __init__(self, request):
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = "http://testserver"
        self.path = request.path
        self.path_pattern = None
        self.method = request.method.lower()
        self.body = b""
        self.content_type = request.META.get("CONTENT_TYPE", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.GET), header=Headers(request.headers.items())
        )


class _Response:
    def __init__(self, response):
        from werkzeug.datastructures import Headers

        self.status_code = response.status_code
        self.content_type = response.get("Content-Type", "")
        self.headers = Headers(response.headers.items())
        self.data = b"".join(response.streaming_content) if response.streaming else response.content
        if response.streaming:  # give the test back the bytes it would have read
            response.streaming_content = [self.data]


def _describe(exc):
    """openapi-core nests the useful part (which field, which value) in causes and schema errors."""
    parts = [f"{type(exc).__name__}: {exc}"]
    for error in getattr(exc, "schema_errors", None) or []:
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        parts.append(f"  at {where}: {error.message}")
    cause = exc.__cause__
    while cause is not None:
        parts.append(f"  caused by {type(cause).__name__}: {cause}")
        for error in getattr(cause, "schema_errors", None) or []:
            where = "/".join(str(p) for p in error.absolute_path) or "(body)"
            parts.append(f"    at {where}: {error.message}")
        cause = cause.__cause__
    return "\n".join(parts)


def check_response(request, response):
    """Raises AssertionError when `response` (to a Django `request` under /api/v1/) breaks the schema."""
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

    # 405: the method is not the endpoint's, so no operation describes it (and openapi-core would
    # match the request to a templated sibling: GET imports/upload-url/ to imports/{id}/).
    if not request.path.startswith(API_PREFIX) or response.status_code >= 500 or response.status_code == 405:
        return
    spec_request, spec_response = _Request(request), _Response(response)
    try:
        openapi().validate_response(spec_request, spec_response)
    except (PathNotFound, OperationNotFound) as exc:
        if response.status_code >= 400:
            return
        raise AssertionError(
            f"{request.method} {request.get_full_path()} answered {response.status_code} "
            f"but the OpenAPI schema has no such operation ({exc})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - every validation failure is reported the same way
        body = spec_response.data[:1500].decode(errors="replace")
        raise AssertionError(
            f"{request.method} {request.get_full_path()} answered {response.status_code}, which does not match "
            f"the OpenAPI schema:\n{_describe(exc)}\nbody: {body}"
        ) from None
    _seen["responses"] += 1
    _seen["operations"].add((request.method, request.resolver_match.route if request.resolver_match else request.path))


@pytest.fixture(autouse=True)
def _api_responses_match_schema(monkeypatch):
    from django.test.client import Client

    original = Client.request

    def request(self, **kwargs):
        response = original(self, **kwargs)
        wsgi_request = getattr(response, "wsgi_request", None)
        if wsgi_request is not None:
            check_response(wsgi_request, response)
        return response

    monkeypatch.setattr(Client, "request", request)


def pytest_terminal_summary(terminalreporter):
    if _seen["responses"]:
        terminalreporter.write_line(
            f"OpenAPI schema check: {_seen['responses']} API responses conformed "
            f"({len(_seen['operations'])} operations)."
        )
