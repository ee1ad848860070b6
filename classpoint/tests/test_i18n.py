"""Which language a page is in (classpoint/i18n.py): only guardian pages are translated; on them the
reader's pick (?lang=, then the cookie) beats what the page knows (the guardian's language, the
school's), which beats the browser; staff pages stay in English whatever the browser asks."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from classpoint import i18n

COOKIE = "classpoint_language"


@pytest.mark.parametrize(
    "code, offered, expected",
    [
        ("es", None, "es"),
        ("ES", None, "es"),
        ("es-MX", None, "es"),
        ("es_AR", None, "es"),
        (" yo ", None, "yo"),
        ("yo", i18n.GUARDIAN_LANGUAGES, ""),  # not offered on that page
        ("fr", None, ""),
        ("", None, ""),
        (None, None, ""),
        (["es"], None, ""),
    ],
)
def test_supported_names_a_language_of_ours_or_nothing(code, offered, expected):
    assert i18n.supported(code, offered) == expected


def _request(query="", cookie=None, accept=None):
    request = RequestFactory().get("/x/" + query, HTTP_ACCEPT_LANGUAGE=accept or "")
    if cookie:
        request.COOKIES[COOKIE] = cookie
    return request


@pytest.mark.parametrize(
    "query, cookie, accept, expected, remembered",
    [
        ("?lang=es", "yo", "yo", "es", True),  # the pick beats the cookie and the browser
        ("?lang=xx", "yo", "es", "yo", False),  # an unknown pick is ignored: the cookie
        ("", "es", "yo", "es", False),
        ("", "fr", "fr-FR, yo;q=0.8", "yo", False),  # a cookie of no language of ours: the browser
        ("", None, "de, fr", "en", False),  # nothing usable: English
    ],
)
def test_a_guardian_page_starts_from_the_readers_pick_then_the_browser(query, cookie, accept, expected, remembered):
    request = _request(query, cookie, accept)
    try:
        choice = i18n.choose(request, i18n.PUBLIC_FORM_LANGUAGES)
        assert (choice.code, choice.remember, translation.get_language()) == (expected, remembered, expected)
    finally:
        translation.deactivate()


def test_what_the_page_knows_beats_the_browser_but_not_the_readers_pick():
    try:
        browser = _request(accept="es")
        i18n.choose(browser, i18n.GUARDIAN_LANGUAGES)
        assert i18n.settle(browser, "", "yo", "en") == "en"  # "" and Yoruba are skipped: not offered here
        picked = _request("?lang=es")
        i18n.choose(picked, i18n.GUARDIAN_LANGUAGES)
        assert i18n.settle(picked, "en") == "es" and translation.get_language() == "es"
        assert i18n.settle(_request(), "es") == translation.get_language()  # not a guardian page: no change
    finally:
        translation.deactivate()


def _through_middleware(view, request):
    """`view` behind GuardianLanguageMiddleware as Django runs it: process_view inside get_response."""
    holder = {}

    def get_response(r):
        holder["middleware"].process_view(r, view, (), {})
        return view(r)

    holder["middleware"] = i18n.GuardianLanguageMiddleware(get_response)
    return holder["middleware"](request)


def test_the_middleware_translates_marked_views_only_and_puts_the_language_back():
    seen = {}

    @i18n.guardian_page
    def guardian_view(request):
        seen["guardian"] = translation.get_language()
        return HttpResponse("ok")

    def staff_view(request):
        seen["staff"] = translation.get_language()
        return HttpResponse("ok")

    response = _through_middleware(guardian_view, _request("?lang=es", accept="es"))
    assert response["Content-Language"] == "es" and response.cookies[COOKIE].value == "es"
    assert translation.get_language() == "en-gb"  # nothing leaks into the next request on this thread
    response = _through_middleware(staff_view, _request("?lang=es", accept="es"))
    assert "Content-Language" not in response and COOKIE not in response.cookies
    assert seen == {"guardian": "es", "staff": "en-gb"}


@pytest.mark.django_db
def test_staff_pages_stay_english_whatever_the_browser_or_the_cookie_says(school, other_school, alice, verified_client):
    client = verified_client(alice)
    client.cookies[COOKIE] = "es"
    # a guardian page in Spanish first, on the same client and thread
    assert "Solicitar la admisión" in client.get("/s/greenfield/apply/?lang=es").content.decode()
    for path in ("/s/greenfield/", "/s/greenfield/messages/templates/", "/s/greenfield/students/"):
        response = client.get(path + "?lang=es", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
        body = response.content.decode()
        assert response.status_code == 200, path
        assert '<html lang="en">' in body and "Sign out" in body, path
        assert "Content-Language" not in response, path
    assert "Message templates" in client.get("/s/greenfield/messages/templates/").content.decode()
