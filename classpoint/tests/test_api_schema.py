"""The published OpenAPI schema and the API's answers agree.

`classpoint.schema_testing` checks every /api/v1/ response the suite's clients get; these tests pin
down that the check itself bites, and that the errors the shared plumbing answers are documented.
"""

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from classpoint.errors import all_error_codes
from classpoint.schema_testing import check_response, schema

STUDENTS = "/api/v1/schools/greenfield/students/"


def test_a_response_with_an_undocumented_shape_fails_the_check():
    # given a student list answer whose rows lack every documented field
    request = RequestFactory().get(STUDENTS)
    response = JsonResponse({"count": 1, "next": None, "previous": None, "results": [{"surprise": None}]})

    # when / then
    with pytest.raises(AssertionError, match="does not match the OpenAPI schema"):
        check_response(request, response)


def test_a_response_with_an_undocumented_status_fails_the_check():
    request = RequestFactory().get(STUDENTS)
    response = JsonResponse({"error": {"code": "teapot", "message": "No.", "fields": {}}}, status=418)

    with pytest.raises(AssertionError, match="418"):
        check_response(request, response)


def test_a_success_from_an_operation_missing_from_the_schema_fails_the_check():
    request = RequestFactory().delete(STUDENTS)

    with pytest.raises(AssertionError, match="no such operation"):
        check_response(request, JsonResponse({}, status=200))


def test_a_method_the_api_does_not_have_is_left_to_the_tests_that_probe_it():
    request = RequestFactory().delete(STUDENTS)

    for status in (403, 405):
        check_response(request, JsonResponse({"error": {"code": "x", "message": "x", "fields": {}}}, status=status))


def _operations():
    for path, item in schema()["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    yield path, method, operation


def test_every_operation_documents_the_errors_the_shared_plumbing_answers():
    missing = []
    for path, method, operation in _operations():
        expected = {"401", "403"}  # every /api/v1/ operation needs credentials and a role
        if "{" in path:
            expected.add("404")
        if method in ("post", "put", "patch"):
            expected |= {"400", "413"}
        if method == "post":
            expected.add("409")  # Idempotency-Key
        lacking = expected - set(operation["responses"])
        if lacking:
            missing.append(f"{method.upper()} {path}: {sorted(lacking)}")
    assert not missing, "\n".join(missing)


def test_every_documented_error_has_the_one_error_shape():
    schemas = schema()["components"]["schemas"]
    wrong = []
    for path, method, operation in _operations():
        for status, response in operation["responses"].items():
            if int(status) < 400 or status == "414":  # 414 comes from the web server, before the application
                continue
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            ref = body.get("$ref", "")
            if not ref.endswith("/Error") and "error" not in schemas.get(ref.rsplit("/", 1)[-1], {}).get(
                "properties", {}
            ):
                wrong.append(f"{method.upper()} {path} {status}: {body}")
    assert not wrong, "\n".join(wrong)


def test_an_unauthenticated_request_gets_the_documented_401(api, school):
    response = api.get(STUDENTS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "component, field",
    [
        ("ApplicationEventOutput", "actor"),
        ("DuplicateFlagOutput", "student_admission_number"),
        ("DuplicateFlagOutput", "other_application_reference"),
        ("AwardOutput", "approved_by"),
        ("AwardOutput", "requested_by"),
        ("ConsentChangeOutput", "actor"),
    ],
)
def test_a_field_that_answers_null_when_its_relation_is_empty_is_declared_nullable(component, field):
    # e.g. an event the system recorded has no actor; an award not yet decided has no approver
    assert schema()["components"]["schemas"][component]["properties"][field].get("nullable") is True


def test_slot_times_are_declared_as_the_hh_mm_the_api_answers():
    import re

    slot = schema()["components"]["schemas"]["SlotOutput"]["properties"]
    for name in ("start_time", "end_time"):
        assert "format" not in slot[name]
        assert re.fullmatch(slot[name]["pattern"], "09:00")
        assert not re.fullmatch(slot[name]["pattern"], "09:00:00")


def test_a_query_string_too_long_for_the_web_server_is_a_documented_414():
    # gunicorn refuses a request line over 4094 bytes before Django sees it; the fuzzer found it
    operation = schema()["paths"]["/api/v1/schools/{school_slug}/duplicates/"]["get"]

    assert "414" in operation["responses"]
    assert "content" not in operation["responses"]["414"]  # the web server's own answer, not our error shape


def test_the_error_component_lists_every_apps_codes():
    codes = schema()["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
    assert codes == all_error_codes()
    # one of each app's, and the plumbing's
    for code in ("class_full", "not_payable", "duplicate_reference", "no_consent", "invoice_refused", "conflict"):
        assert code in codes
    assert {"not_found", "two_factor_required", "idempotency_conflict"} <= set(codes)
