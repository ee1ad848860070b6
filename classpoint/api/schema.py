"""How the OpenAPI schema tells the truth about answers: null where a field can be null, and the
error answers every endpoint can give, documented in one place.

A response field with `default=None` (an actor through a relation that may be empty, say
`CharField(source="actor.get_username", default=None)`) answers null when the relation is empty, so
the schema declares it nullable; nobody has to remember `allow_null` on an output-only field.

Some errors come from the plumbing every view shares, not from the view: authentication (401), the
role, the suspended school and the session's second factor (403), the school slug, object ids and
page numbers (404), a NUL byte in any query parameter and the Idempotency-Key (400), the key's reuse
(409), the body size limit (413, `BodySizeLimitMiddleware`) and the body's content type (415, DRF's
parsers); a query string too long for the web server is a 414 before the application sees it.
Declaring them per view would be forgotten on the next endpoint, so they are added here to every
operation that can answer them; what a view declares itself (a more specific 409, say) is kept.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.fields import empty

from classpoint.errors import all_error_codes

from .base import ERROR_FIELDS_SCHEMA

WRITE_METHODS = ("post", "put", "patch")

DESCRIPTIONS = {
    400: "Invalid input (body, filters, or a query parameter holding a NUL byte); `fields` names each bad field.",
    401: "No valid credentials: send `Authorization: Token <token>` (or sign in for a session).",
    403: "Your role does not allow this, the school is suspended, or the session has not passed the second factor.",
    404: "No such school or object (or not yours), or no such page.",
    409: "Idempotency-Key reused with another body, or its first request is still being processed.",
    413: "The request body is larger than the server accepts.",
    415: "The request body's content type is not one this endpoint reads (send `application/json`, or "
    "`multipart/form-data` where the operation says so).",
    429: "Too many requests; retry later.",
    414: "The query string is longer than the web server accepts (answered by the server in front of the "
    "application, so not in the error shape).",
}
# Answered before the application sees the request: no body of ours to describe.
WITHOUT_BODY = {414}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_statuses(path, method, operation, view):
    parameters = operation.get("parameters", [])
    statuses = set()
    if {} not in operation.get("security", [{}]):
        statuses |= {401, 403}
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    if "{" in path or "page" in query:
        statuses.add(404)
    # Any query string may be refused: a NUL byte in any parameter, named or not, is a 400 at the
    # edge (RefuseNulBytesMiddleware), and bodies and filters are validated.
    statuses.add(400)
    if query:
        statuses.add(414)
    if method in WRITE_METHODS:
        statuses |= {413, 415}
    if method == "post":
        statuses.add(409)
    if view is not None and getattr(view, "throttle_classes", None):
        statuses.add(429)
    return statuses


def document_common_errors(result, generator, request, public):
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        views[(path, method.lower())] = getattr(callback, "cls", None)
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", _error_component(result))
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_error_statuses(path, method, operation, views.get((path, method)))):
                response = {"description": DESCRIPTIONS[status]}
                if status not in WITHOUT_BODY:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
                responses.setdefault(str(status), response)
    return result


def _error_component(result):
    schemas = result["components"]["schemas"]
    schemas.setdefault(
        "ErrorBody",
        {
            "type": "object",
            "properties": {
                # Every code an answer can carry (classpoint/errors.py): integrators switch on these.
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": ERROR_FIELDS_SCHEMA,
            },
            "required": ["code", "message", "fields"],
        },
    )
    # Every code an answer can carry (classpoint/errors.py): integrators switch on these. The views'
    # own ErrorSerializer registers ErrorBody first, so the list is set here either way.
    schemas["ErrorBody"]["properties"]["code"] = {"type": "string", "enum": all_error_codes()}
    return {
        "type": "object",
        "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}},
        "required": ["error"],
    }


class AutoSchema(SpectacularAutoSchema):
    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and getattr(field, "default", empty) is None:
            meta["nullable"] = True
        return meta
