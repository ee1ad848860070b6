"""Walks every URL pattern and API route as Charlie (admin of Riverside) and fails on any answer
that reveals Greenfield's data. Routes added later are covered without anyone remembering."""

import re

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from schools.models import ClassGroup, Enrollment, Guardian, Student, Term

# What would give Greenfield away if it appeared in Charlie's answer.
SENTINELS = ("GFAPupil", "GFA/0001", "Greenfield Academy", "GFA JSS 1A")
SKIP_PREFIXES = ("admin/", "static/", "media/", "api/docs", "api/schema", "__")
# Public by design: the application form a family fills in without an account shows the school's
# name to anyone; it may show nothing else of the school. (The family's signed links are not here:
# without a valid token they are a 404 like any other route.)
PUBLIC_ROUTES = {"application-form"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def all_routes():
    return sorted(set(_walk(get_resolver().url_patterns)))


def _fill(route, slug, object_id):
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"<slug:(slug|school_slug)>", slug, path)
    path = re.sub(r"<int:\w+>", str(object_id), path)
    path = re.sub(r"<(?:str:)?\w+>", "x", path)
    return "/" + path


def _greenfield_ids(school):
    ids = set()
    for model in (Student, Guardian, ClassGroup, Term, Enrollment):
        ids.update(model.objects.for_school(school).values_list("pk", flat=True))
    return sorted(ids)


def _assert_hidden(response, url, sentinels=SENTINELS):
    body = response.content.decode(errors="replace")
    for sentinel in sentinels:
        assert sentinel not in body, f"{url} revealed {sentinel!r} to another school's admin"


def test_walker_finds_the_tenant_routes():
    routes = [route for route, _ in all_routes()]
    assert "s/<slug:slug>/students/<int:student_id>/" in routes
    assert "api/v1/schools/<slug:school_slug>/students/<int:pk>/" in routes


@pytest.mark.django_db
def test_every_route_hides_greenfield_from_riverside_admin(school, other_school, charlie, verified_client, api):
    client = verified_client(charlie)
    api.force_authenticate(charlie)
    ids = _greenfield_ids(school)
    checked = 0
    for route, _name in all_routes():
        if route.startswith(SKIP_PREFIXES):
            continue
        has_id = "<int:" in route
        is_tenant = "<slug:slug>" in route or "<slug:school_slug>" in route
        for slug in ("greenfield", "riverside") if is_tenant else ("",):
            for object_id in ids if has_id else [0]:
                url = _fill(route, slug, object_id)
                is_api = url.startswith("/api/")
                for method in ("get", "post", "patch") if is_api else ("get",):
                    response = (
                        getattr(api if is_api else client, method)(url, {}, format="json")
                        if is_api
                        else client.get(url)
                    )
                    checked += 1
                    if _name in PUBLIC_ROUTES:
                        assert response.status_code == 200, f"{url}: {response.status_code}"
                        _assert_hidden(response, url, [s for s in SENTINELS if s != "Greenfield Academy"])
                        continue
                    _assert_hidden(response, url)
                    if slug == "greenfield":
                        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}, want 404"
                    elif slug == "riverside" and has_id and method == "get":
                        # Greenfield's ids are never Riverside's objects of the same type: 404 or
                        # some unrelated Riverside row (or 405 on an action that only takes POST),
                        # never Greenfield's.
                        assert response.status_code in (200, 404, 405), f"{url}: {response.status_code}"
    assert checked > 50


@pytest.mark.django_db
def test_unknown_school_and_non_member_look_the_same(school, other_school, charlie, verified_client):
    client = verified_client(charlie)
    not_member = client.get("/s/greenfield/students/")
    missing = client.get("/s/no-such-school/students/")
    assert not_member.status_code == missing.status_code == 404
    # Identical but for the per-response CSRF mask.
    unmask = re.compile(rb'(?:"X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+"')
    assert unmask.sub(b"", not_member.content) == unmask.sub(b"", missing.content)


@pytest.mark.django_db
def test_api_unknown_school_and_non_member_look_the_same(school, other_school, charlie, api):
    api.force_authenticate(charlie)
    not_member = api.get("/api/v1/schools/greenfield/students/")
    missing = api.get("/api/v1/schools/nowhere/students/")
    assert not_member.status_code == missing.status_code == 404
    assert (
        not_member.json() == missing.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    )


@pytest.mark.django_db
def test_school_hostname_resolves_that_school(school, alice, verified_client):
    client = verified_client(alice)
    response = client.get("/students/", HTTP_HOST="greenfield.classpoint.ng")
    assert response.status_code == 200
    assert b"GFAPupil" in response.content


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=[".classpoint.ng", "portal.greenfield.edu.ng"])
def test_custom_domain_resolves_its_school(school, alice, verified_client):
    school.domains.create(hostname="portal.greenfield.edu.ng", is_custom=True)
    response = verified_client(alice).get("/students/", HTTP_HOST="portal.greenfield.edu.ng")
    assert response.status_code == 200
    assert b"GFAPupil" in response.content


@pytest.mark.django_db
def test_other_schools_path_on_a_school_hostname_is_404(school, other_school, alice, verified_client):
    f_client = verified_client(alice)
    response = f_client.get("/s/riverside/students/", HTTP_HOST="greenfield.classpoint.ng")
    assert response.status_code == 404


@pytest.mark.django_db
def test_other_schools_hostname_does_not_serve_to_non_member(school, other_school, charlie, verified_client):
    response = verified_client(charlie).get("/students/", HTTP_HOST="greenfield.classpoint.ng")
    assert response.status_code == 404
    _assert_hidden(response, "greenfield.classpoint.ng/students/")
