"""The API applies the same second step as the workspace to browser sessions: a school admin or
bursar who typed only the password reads and writes nothing until the TOTP step is done. Token
clients (integrators' service users) are not sessions and are unaffected."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from payments.tests.test_payments import invoice  # noqa: F401  (fixture)
from schools.services.schools import api_token_create

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/schools/greenfield/audit-log/"
CLASS_GROUPS = "/api/v1/schools/greenfield/class-groups/"


def _password_only(api, user):
    api.force_login(user)  # a session as after the password form, before the TOTP step
    return api


def _verified(api, user):
    api.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    session = api.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return api


def _assert_two_factor_required(response):
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "two_factor_required"
    assert "/account/two-factor/" in error["message"]


def test_admin_session_without_totp_cannot_read_the_audit_log(school, alice, api):
    # given a school admin signed in with the password only
    _password_only(api, alice)
    # when they read the audit log through the API
    response = api.get(AUDIT)
    # then they are told to finish the second step
    _assert_two_factor_required(response)


def test_admin_session_without_totp_cannot_create_a_class_group(school, alice, api):
    _password_only(api, alice)
    before = school.class_groups.count()
    response = api.post(CLASS_GROUPS, {"name": "JSS 2B", "level": "JSS 2"})
    _assert_two_factor_required(response)
    assert school.class_groups.count() == before


def test_bursar_session_without_totp_cannot_create_a_pay_link(school, bursar, api, invoice):
    from payments.models import PaymentIntent

    _password_only(api, bursar)
    url = f"/api/v1/schools/greenfield/invoices/{invoice.pk}/pay-link/"
    response = api.post(url, {"gateway": "demo", "email": "mum@example.ng"})
    _assert_two_factor_required(response)
    assert not PaymentIntent.objects.for_school(school).exists()


def test_bursar_session_without_totp_cannot_list_transactions(school, bursar, api):
    _password_only(api, bursar)
    _assert_two_factor_required(api.get("/api/v1/schools/greenfield/transactions/"))


def test_verified_admin_session_reads_and_writes(school, alice, api):
    _verified(api, alice)
    assert api.get(AUDIT).status_code == 200
    assert api.post(CLASS_GROUPS, {"name": "JSS 2B", "level": "JSS 2"}).status_code == 201


def test_token_client_of_an_admin_needs_no_second_step(school, alice, api):
    token = api_token_create(school=school, name="ERP", role_key="school_admin")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(AUDIT).status_code == 200
    assert api.post(CLASS_GROUPS, {"name": "JSS 2B", "level": "JSS 2"}).status_code == 201


def test_teacher_session_needs_no_second_step(school, teacher, api):
    _password_only(api, teacher)
    assert api.get("/api/v1/schools/greenfield/students/").status_code == 200


def test_admin_session_passes_when_two_factor_is_relaxed(school, alice, api, settings):
    settings.CLASSPOINT_REQUIRE_2FA = False
    _password_only(api, alice)
    assert api.get(AUDIT).status_code == 200


def test_every_api_view_checks_the_second_step():
    """A view that names its own permission classes still gets the second-step check."""
    from django.urls import get_resolver

    from classpoint.api.permissions import SecondFactorVerified
    from classpoint.api.views import ApiView

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            else:
                yield pattern

    views = [getattr(p.callback, "view_class", None) for p in walk(get_resolver().url_patterns)]
    api_views = [v for v in views if v is not None and issubclass(v, ApiView)]
    assert len(api_views) > 20
    for view_class in api_views:
        assert any(isinstance(p, SecondFactorVerified) for p in view_class().get_permissions()), view_class
