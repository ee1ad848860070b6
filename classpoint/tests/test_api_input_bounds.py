"""No 500 on out-of-range input: every integer, number and date an API client sends is bounded at
the edge (classpoint.bounds) and a value past the bound is a 400 naming the field, changing nothing.

The walkers below cover endpoints nobody has written yet: every operation in the OpenAPI schema
and every filter set in the project."""

import json

import pytest

from payments.tests.test_payments import invoice  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = 2**63
G = "/api/v1/schools/greenfield"
NEW_STUDENT = {"admission_number": "GFA/0900", "first_name": "Ada", "last_name": "Obi"}
PROJECT_APPS = ("classpoint", "schools", "fees", "payments", "messaging", "registrar", "academics")


def _field_error(response, field):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    return error


# --- the examples found by attacking the API ------------------------------------------------


def test_counter_payment_beyond_bigint_is_a_field_error(school, bursar, api, invoice):
    from payments.models import PaymentTransaction

    api.force_authenticate(bursar)
    body = {"kind": "pos", "amount_minor": BEYOND_BIGINT, "reference": "POS-HUGE"}
    response = api.post(f"{G}/invoices/{invoice.pk}/payments/", body)
    _field_error(response, "amount_minor")
    assert not PaymentTransaction.objects.for_school(school).exists()


def test_proof_amount_beyond_bigint_is_a_field_error(school, bursar, api, invoice):
    from payments.models import PaymentProof

    api.force_authenticate(bursar)
    body = {"file_key": "x", "amount_minor": BEYOND_BIGINT, "paid_on": "2026-11-02"}
    response = api.post(f"{G}/invoices/{invoice.pk}/proofs/", body)
    _field_error(response, "amount_minor")
    assert not PaymentProof.objects.for_school(school).exists()


def test_fee_schedule_line_beyond_bigint_is_a_field_error(school, bursar, api, invoice):
    from fees.models import FeeItem, FeeSchedule

    api.force_authenticate(bursar)
    before = FeeSchedule.objects.for_school(school).count()
    item = FeeItem.objects.for_school(school).get()
    line = {"fee_item_id": item.pk, "amount_minor": BEYOND_BIGINT}
    body = {"name": "Huge", "term_id": school.current_term().pk, "level": "JSS 1", "lines": [line]}
    _field_error(api.post(f"{G}/fee-schedules/", body), "lines")
    assert FeeSchedule.objects.for_school(school).count() == before


def test_defaulters_with_a_billion_days_overdue_is_a_field_error(school, bursar, api):
    api.force_authenticate(bursar)
    _field_error(api.get(f"{G}/defaulters/?min_days_overdue=1000000000"), "min_days_overdue")


def test_send_reminders_with_a_billion_days_overdue_is_a_field_error_and_sends_nothing(school, bursar, api):
    from classpoint.models import AuditLog, OutboxEvent

    api.force_authenticate(bursar)
    events, entries = OutboxEvent.objects.count(), AuditLog.objects.count()
    _field_error(api.post(f"{G}/defaulters/send-reminders/", {"min_days_overdue": 1_000_000_000}), "min_days_overdue")
    assert (OutboxEvent.objects.count(), AuditLog.objects.count()) == (events, entries)


@pytest.mark.parametrize(
    "until", ["garbage", "2026-13-45T00:00:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00"]
)
def test_malformed_or_out_of_range_audit_until_is_a_field_error(school, alice, api, until):
    api.force_authenticate(alice)
    _field_error(api.get(f"{G}/audit-log/", {"until": until}), "until")


@pytest.mark.parametrize(
    "query",
    [
        "/audit-log/?actor=9223372036854775808",
        "/audit-log/?since=0001-01-01",
        "/messages/?date_to=9999-12-31",
        "/messages/?guardian=9223372036854775808",
        "/applications/?submitted_from=0001-01-01",
        "/invoices/?student=9223372036854775808",
        "/invoices/?term=1.5",
        "/payment-intents/?invoice=9223372036854775808",
        "/transactions/?invoice=9223372036854775808",
        "/proofs/?invoice=9223372036854775808",
        "/students/?updated_since=9999-12-31T23:59:59-12:00",
        "/guardians/?student=9223372036854775808",
        "/terms/?session=9223372036854775808",
        "/enrollments/?student=9223372036854775808",
        "/defaulters/?term=9223372036854775808",
    ],
)
def test_out_of_range_filter_is_a_field_error(school, alice, api, query):
    api.force_authenticate(alice)
    name = query.split("?")[1].split("=")[0]
    _field_error(api.get(G + query), name)


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/defaulters/send-reminders/", {"term": BEYOND_BIGINT}, "term"),
        ("/guardian-lists/", {"name": "Big", "guardian_ids": [BEYOND_BIGINT]}, "guardian_ids"),
        ("/announcements/", {"title": "t", "body": "b", "class_group_ids": [BEYOND_BIGINT]}, "class_group_ids"),
        ("/students/", {**NEW_STUDENT, "date_of_birth": "0001-01-01"}, "date_of_birth"),
    ],
)
def test_out_of_range_body_is_a_field_error(school, alice, api, url, body, field):
    from classpoint.models import AuditLog

    api.force_authenticate(alice)
    entries = AuditLog.objects.count()
    _field_error(api.post(G + url, body), field)
    assert AuditLog.objects.count() == entries


# --- the walkers: every endpoint, present and future -----------------------------------------


def _schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generator = SchemaGenerator()
    schema = json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))
    return generator, schema


def _resolve(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _unbounded_numbers(schema, node, where, seen=()):
    node = _resolve(schema, node)
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen = (*seen, id(node))
    if node.get("readOnly"):
        return
    bounded = ("maximum" in node and "minimum" in node) or "enum" in node
    if node.get("type") in ("integer", "number") and not bounded:
        yield where
    for name, child in (node.get("properties") or {}).items():
        yield from _unbounded_numbers(schema, child, f"{where}.{name}", seen)
    if "items" in node:
        yield from _unbounded_numbers(schema, node["items"], f"{where}[]", seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in node.get(key) or []:
            yield from _unbounded_numbers(schema, child, where, seen)


def test_every_integer_and_number_input_in_the_api_is_bounded():
    _generator, schema = _schema()
    unbounded = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                # Path ids go through `scoped_get`/URL converters: an exact lookup the ORM answers "none".
                if parameter.get("in") == "query":
                    where = f"{method.upper()} {path} ?{parameter['name']}"
                    unbounded += _unbounded_numbers(schema, parameter.get("schema", {}), where)
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                unbounded += _unbounded_numbers(schema, content.get("schema", {}), f"{method.upper()} {path} body")
    unbounded = sorted(set(unbounded))
    assert not unbounded, "bound with classpoint.api.fields (IdField, AmountMinorField...):\n" + "\n".join(unbounded)


def test_every_date_input_in_an_api_request_body_is_bounded():
    from rest_framework import serializers

    from classpoint.api.fields import _DateRange

    generator, schema = _schema()
    # COMPONENT_SPLIT_REQUEST names every request body's component "...Request".
    requests = {name for name in schema["components"]["schemas"] if name.endswith("Request")}
    unbounded = []

    def walk(serializer, where):
        for name, field in serializer.fields.items():
            if field.read_only:
                continue
            child = getattr(field, "child", None)
            if isinstance(field, serializers.BaseSerializer):
                walk(child if child is not None else field, f"{where}.{name}")
            elif isinstance(field, (serializers.DateField, serializers.DateTimeField)):
                if not isinstance(field, _DateRange):
                    unbounded.append(f"{where}.{name}")

    for (name, _type), component in generator.registry._components.items():
        if name in requests and isinstance(component.object, serializers.BaseSerializer):
            walk(component.object, name)
    assert requests
    assert not unbounded, "use classpoint.api.fields.DateField / DateTimeField:\n" + "\n".join(unbounded)


def _project_filtersets():
    import django_filters
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (importing the URLconf imports every api module)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [fs for fs in subclasses(django_filters.FilterSet) if fs.__module__.split(".")[0] in PROJECT_APPS]


def test_every_filter_set_bounds_its_numbers_and_dates():
    from django import forms

    from classpoint.bounds import _DateRangeMixin

    filtersets = _project_filtersets()
    unbounded = []
    for filterset in filtersets:
        for name, declared in filterset.base_filters.items():
            field = declared.field
            where = f"{filterset.__module__}.{filterset.__name__}.{name}"
            if isinstance(field, (forms.DateField, forms.DateTimeField)) and not isinstance(field, _DateRangeMixin):
                unbounded.append(where)
            elif isinstance(field, forms.DecimalField) and field.max_digits is not None:
                continue
            elif isinstance(field, (forms.IntegerField, forms.FloatField)) and (
                field.max_value is None or field.min_value is None
            ):
                unbounded.append(where)
    assert len(filtersets) > 10
    hint = "use classpoint.api.fields.IdFilter / DateFilter / IsoDateTimeFilter:\n"
    assert not unbounded, hint + "\n".join(unbounded)
