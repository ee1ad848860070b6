"""While the database is away (restarting, failing over, PgBouncer failing its server login), pages
and the API answer 503 with Retry-After, not a 500 storm: the person, the API client and the
balancer are told to try again in a moment. Other errors stay 500s."""

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

pytestmark = pytest.mark.django_db


def refusing(error):
    def wrapper(execute, sql, params, many, context):
        raise error

    return wrapper


@pytest.fixture
def browser(alice, verified_client):
    client = verified_client(alice)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server login has been failing, try again later (server_login_retry)"),
        OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_page_asks_to_try_again_shortly(browser, error):
    with connection.execute_wrapper(refusing(error)):
        response = browser.get("/s/greenfield/students/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = response.content.decode()
    assert "Classpoint is briefly unavailable" in text and 'http-equiv="refresh" content="5"' in text


def test_htmx_reloads_instead_of_swapping_nothing(browser):
    with connection.execute_wrapper(refusing(OperationalError("terminating connection"))):
        response = browser.get("/s/greenfield/students/", HTTP_HX_REQUEST="true")
    assert response.status_code == 503 and response["HX-Refresh"] == "true"


def test_the_api_answers_503_in_its_error_envelope(school, alice):
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(refusing(OperationalError("the database system is starting up"))):
        response = client.get("/api/v1/schools/greenfield/students/", HTTP_AUTHORIZATION="Token cp_whatever")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_bug_is_still_a_500(browser):
    with connection.execute_wrapper(refusing(ZeroDivisionError("a bug"))):
        response = browser.get("/s/greenfield/students/")
    assert response.status_code == 500
    assert "Retry-After" not in response
