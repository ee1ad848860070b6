import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _login(client, username, password=PASSWORD):
    return client.post("/account/login/", {"username": username, "password": password})


def test_teacher_signs_in_without_a_second_step(client, school, teacher):
    response = _login(client, teacher.username)
    assert response.status_code == 302
    assert client.get("/s/greenfield/students/").status_code == 200


def test_bursar_must_enrol_totp_before_any_page(client, school, bursar):
    _login(client, bursar.username)
    response = client.get("/s/greenfield/students/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
    enrol = client.get(response["Location"])
    assert b"QR code" in enrol.content
    device = TOTPDevice.objects.get(user=bursar)
    wrong = client.post("/account/two-factor/?next=/s/greenfield/students/", {"token": "000000"})
    assert b"not valid" in wrong.content
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows retries after a failure; the test does not wait
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    ok = client.post("/account/two-factor/", {"token": code, "next": "/s/greenfield/students/"})
    assert ok.status_code == 302 and ok["Location"] == "/s/greenfield/students/"
    assert client.get("/s/greenfield/students/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_two_factor_next_refuses_other_hosts(client, school, bursar):
    _login(client, bursar.username)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=bursar)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/account/two-factor/", {"token": code, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_htmx_request_needing_two_factor_gets_hx_redirect(client, school, bursar):
    _login(client, bursar.username)
    response = client.get("/s/greenfield/students/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith("/account/two-factor/")


def test_two_factor_can_be_relaxed_for_the_demo(client, school, bursar, settings):
    settings.CLASSPOINT_REQUIRE_2FA = False
    _login(client, bursar.username)
    assert client.get("/s/greenfield/students/").status_code == 200


def test_lockout_after_repeated_failures(client, school, teacher):
    from prometheus_client import REGISTRY

    before = REGISTRY.get_sample_value("classpoint_login_failures_total") or 0
    for _ in range(4):
        assert _login(client, teacher.username, "wrong-password").status_code == 200
    assert _login(client, teacher.username, "wrong-password").status_code == 429  # the fifth locks
    locked = _login(client, teacher.username)  # even the right password now
    assert locked.status_code == 429 and b"Too many failed attempts" in locked.content
    assert REGISTRY.get_sample_value("classpoint_login_failures_total") >= before + 5


def test_login_page_renders_accessibly(client, db):
    body = client.get("/account/login/").content.decode()
    assert 'for="id_username"' in body and 'for="id_password"' in body and 'lang="en"' in body


def test_password_reset_sends_a_link(client, school, teacher):
    from django.core import mail

    teacher.email = "t@greenfield.test"
    teacher.save()
    client.post("/account/password-reset/", {"email": "t@greenfield.test"})
    assert len(mail.outbox) == 1 and "/account/reset/" in mail.outbox[0].body
