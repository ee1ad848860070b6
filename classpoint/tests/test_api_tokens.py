"""Integration tokens: kept only as a hash, shown once, sent as `Token <key>` or `Bearer <key>`,
acting for one school only with their role, last use recorded at most once a minute, and a 401 the
moment they are revoked. Keys made before hashing keep working after the migration that hashed them."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from prometheus_client import REGISTRY
from rest_framework.authtoken.models import Token

from classpoint.api.auth import key_hash
from classpoint.models import ApiToken, AuditLog
from schools.models import Membership
from schools.services.schools import api_token_create, api_token_revoke
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
STUDENTS = "/api/v1/schools/greenfield/students/"
legacy_migration = importlib.import_module("classpoint.migrations.0005_api_tokens_and_sessions")


def _with(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    return api


def test_the_database_holds_no_key(school, alice):
    issued = api_token_create(school=school, name="Finance sync", role_key="bursar", actor=alice)
    token = ApiToken.objects.get()
    stored = [str(v) for v in ApiToken.objects.values().get().values()]
    stored += [str(v) for v in get_user_model().objects.filter(pk=token.user_id).values().get().values()]
    assert issued.key not in " ".join(stored) and issued.key[10:] not in " ".join(stored)
    assert token.key_hash == key_hash(issued.key) and issued.key.startswith(token.prefix)
    assert AuditLog.objects.filter(action="api_token.created", actor=alice, target_id=str(token.pk)).exists()


def test_each_token_has_a_service_user_of_its_own_with_the_role(school):
    first = api_token_create(school=school, name="ERP", role_key="bursar").token
    second = api_token_create(school=school, name="ERP", role_key="viewer").token
    assert first.user != second.user and not first.user.has_usable_password()
    assert list(Membership.objects.filter(user=first.user).values_list("school__slug", "role__key")) == [
        ("greenfield", "bursar")
    ]


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_a_key_is_accepted_as_token_or_bearer(school, api, scheme):
    key = api_token_create(school=school, name="ERP", role_key="viewer").key
    assert _with(api, f"{scheme} {key}").get(STUDENTS).status_code == 200


def test_a_wrong_or_malformed_key_is_401(school, api):
    api_token_create(school=school, name="ERP", role_key="viewer")
    for header in ("Token nope", "Bearer", "Token a b", "Token cp_\u00e9"):
        response = _with(api, header).get(STUDENTS)
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "authentication_failed"


def test_a_revoked_token_is_401_at_once(school, alice, api):
    issued = api_token_create(school=school, name="ERP", role_key="viewer")
    _with(api, f"Token {issued.key}")
    assert api.get(STUDENTS).status_code == 200
    api_token_revoke(token=issued.token, actor=alice)
    response = api.get(STUDENTS)
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]
    assert not Membership.objects.get(user=issued.token.user).is_active
    assert AuditLog.objects.filter(action="api_token.revoked", actor=alice).exists()


def test_a_token_answers_only_for_its_school(school, other_school, api):
    key = api_token_create(school=school, name="ERP", role_key="school_admin").key
    _with(api, f"Token {key}")
    assert api.get(STUDENTS).status_code == 200
    theirs = api.get("/api/v1/schools/riverside/students/")
    assert theirs.status_code == 404 and theirs.json() == api.get("/api/v1/schools/nowhere/students/").json()


def test_a_token_sent_at_another_school_counts_as_a_cross_tenant_denial(school, other_school, api):
    # The alert on bursts of denials must see a leaked integration key probing other schools, not
    # only signed-in staff.
    def denied():
        return REGISTRY.get_sample_value("classpoint_tenant_access_denied_total") or 0

    _with(api, f"Token {api_token_create(school=school, name='ERP', role_key='school_admin').key}")
    before = denied()
    assert api.get(STUDENTS).status_code == 200
    assert denied() == before
    assert api.get("/api/v1/schools/riverside/students/").status_code == 404
    assert api.get("/api/v1/schools/nowhere/students/").status_code == 404
    assert denied() == before + 2


def test_a_token_may_do_what_its_role_may(school, api):
    key = api_token_create(school=school, name="Reader", role_key="viewer").key
    response = _with(api, f"Token {key}").post("/api/v1/schools/greenfield/class-groups/", {"name": "X", "level": "Y"})
    assert response.status_code == 403


def test_last_use_is_recorded_at_most_once_a_minute(school, api):
    issued = api_token_create(school=school, name="ERP", role_key="viewer")
    _with(api, f"Token {issued.key}")
    api.get(STUDENTS)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get(STUDENTS)
    assert ApiToken.objects.get().last_used_at == first
    earlier = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.update(last_used_at=earlier)
    api.get(STUDENTS)
    assert ApiToken.objects.get().last_used_at > earlier + datetime.timedelta(minutes=1)


def test_the_schema_documents_the_token_scheme(school, api, alice):
    api.force_authenticate(alice)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


# --- Keys from before hashing --------------------------------------------------------------------


def test_legacy_keys_are_hashed_and_keep_working_in_their_school(school, other_school, api):
    # given a service user's key (made by the old create_api_token) and a person's, who works at two schools
    service = get_user_model().objects.create(username="erp@greenfield.test", email="erp@greenfield.test")
    service.set_unusable_password()
    service.save()
    Membership.objects.create(user=service, school=school, role=school.roles.get(key="registrar"))
    person = f.member(school, "bursar", email="ada@greenfield.test")
    Membership.objects.create(user=person, school=other_school, role=other_school.roles.get(key="bursar"))
    service_key = Token.objects.create(user=service).key
    person_key = Token.objects.create(user=person).key
    nobody_key = Token.objects.create(user=f.UserFactory(username="lost@example.test")).key
    # when the migration runs
    legacy_migration.hash_legacy_tokens(apps, None)
    # then no plain key is left, and each key is a hashed token of its user's school
    assert not Token.objects.exists()
    rows = {t.key_hash: t for t in ApiToken.objects.all()}
    assert set(rows) == {key_hash(service_key), key_hash(person_key)}  # a school-less key reached nothing
    assert rows[key_hash(service_key)].service_account and not rows[key_hash(person_key)].service_account
    assert rows[key_hash(person_key)].school == school and key_hash(nobody_key) not in rows
    assert _with(api, f"Token {service_key}").get(STUDENTS).status_code == 200
    assert _with(api, f"Token {person_key}").get(STUDENTS).status_code == 200
    # the person's key now speaks for the first school only
    assert api.get("/api/v1/schools/riverside/students/").status_code == 404


def test_operators_see_tokens_in_the_admin_without_any_key(school, client):
    issued = api_token_create(school=school, name="Finance sync", role_key="viewer")
    operator = get_user_model().objects.create_superuser("ops", "ops@classpoint.test", "a-long-pass-phrase")
    client.force_login(operator)
    device = TOTPDevice.objects.create(user=operator, name="ops", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    listing = client.get("/admin/classpoint/apitoken/").content.decode()
    detail = client.get(f"/admin/classpoint/apitoken/{issued.token.pk}/change/").content.decode()
    assert "Finance sync" in listing and issued.token.prefix in detail
    assert issued.key not in listing + detail and issued.token.key_hash not in listing + detail
    # revoking there stops the token, with an audit entry
    client.post("/admin/classpoint/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]})
    assert ApiToken.objects.get().revoked_at is not None
    assert AuditLog.objects.filter(action="api_token.revoked", actor=operator).exists()
