"""Seeds one row of every school-scoped model for Greenfield, all under one id, and walks every URL
pattern and API route with that id as Charlie (admin of Riverside): no answer may reveal Greenfield's
data or touch its rows. Models and routes added later are covered without anyone remembering."""

import re

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from classpoint.tests.tenant_seed import (
    MARKER,
    SEEDED_ID,
    marked_fields,
    rows_with_marker,
    school_scoped_models,
    seed_school,
    snapshot,
)
from schools.tests import factories as f

# What would give Greenfield away if it appeared in Charlie's answer: the fixture's names and the
# marker every seeded text carries.
SENTINELS = ("GFAPupil", "GFA/0001", "Greenfield Academy", "GFA JSS 1A", MARKER)
SKIP_PREFIXES = ("admin/", "static/", "media/", "api/docs", "api/schema", "__")
# Public by design, with what each may show to anyone: the application form a family fills in
# without an account shows the school's name and its class levels to choose from (the seeded class's
# level is the marker), nothing else of the school. (The family's signed links are not here: without
# a valid token they are a 404 like any other route.)
PUBLIC_ROUTES = {"application-form": ("Greenfield Academy", f'<option value="{MARKER}">{MARKER}</option>')}
# A POST here would end Charlie's session and leave the rest of the walk probing the login page.
SESSION_ENDING = {"logout"}
# Path words a view dispatches on: a real one reaches the code that acts on the row (an unknown one
# may answer 404 before any row is read). Other words get "x".
PATH_WORDS = {
    "action": "issue",
    "decision": "approve",
    "status": "pending",
    "template_type": "PAYMENT_RECEIPT",
    "channel": "sms",
    "gateway_name": "paystack",
}
WORKSPACE_METHODS = ("get", "post")
API_METHODS = ("get", "post", "patch", "delete")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def all_routes():
    return sorted(set(_walk(get_resolver().url_patterns)))


def _fill(route, slug):
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"<slug:(slug|school_slug)>", slug, path)
    path = re.sub(r"<int:\w+>", str(SEEDED_ID), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: PATH_WORDS.get(m.group(1), "x"), path)
    return "/" + path


def _hidden(response, public=()):
    """The first Greenfield sentinel in the answer (once what the route shows publicly is taken out)."""
    body = response.content.decode(errors="replace")
    for shown in public:
        body = body.replace(shown, "")
    return next((sentinel for sentinel in SENTINELS if sentinel in body), None)


def _assert_hidden(response, request):
    sentinel = _hidden(response)
    assert sentinel is None, f"{request} revealed {sentinel!r} to another school's admin"


def _seed_greenfield(school, other_school):
    """Greenfield's seeded rows; fails naming every model the seeder could not build or skipped."""
    staff = f.member(school, "bursar", email=f"{MARKER}.staff@greenfield.test")
    rows, errors = seed_school(school, staff)
    assert not errors, "cannot seed (give the model a recipe in tenant_seed.RECIPES):\n" + "\n".join(
        f"  {label}: {error}" for label, error in sorted(errors.items())
    )
    missed = sorted(m._meta.label for m in school_scoped_models() if m not in rows)
    assert not missed, f"not seeded: {missed}"
    for model in rows:
        assert model.objects.for_school(school).filter(pk=SEEDED_ID).exists(), model._meta.label
        assert not model.objects.for_school(other_school).filter(pk=SEEDED_ID).exists(), model._meta.label
        assert not rows_with_marker(model, other_school).exists(), f"{model._meta.label}: Riverside has the marker"
    return rows


def test_walker_finds_the_tenant_routes():
    routes = [route for route, _ in all_routes()]
    assert "s/<slug:slug>/students/<int:student_id>/" in routes
    assert "api/v1/schools/<slug:school_slug>/students/<int:pk>/" in routes
    assert _fill("s/<slug:slug>/fees/invoices/<int:invoice_id>/<slug:action>/", "riverside") == (
        f"/s/riverside/fees/invoices/{SEEDED_ID}/issue/"
    )


@pytest.mark.django_db
def test_seeder_builds_one_marked_row_of_every_school_scoped_model(school, other_school):
    rows = _seed_greenfield(school, other_school)
    assert len(rows) == len(school_scoped_models()) > 40
    # The marker is what gives a leaked row away: every seeded row with text carries it.
    unmarked = [m._meta.label for m in rows if marked_fields(m) and not rows_with_marker(m, school).exists()]
    assert not unmarked


def _probes():
    """(route name, url, method, slug, whether the url holds SEEDED_ID) for every route: tenant routes
    first, as a Greenfield and a Riverside request, then the rest (a sign-in page, a webhook) once."""
    tenant, other = [], []
    for route, name in all_routes():
        if route.startswith(SKIP_PREFIXES):
            continue
        is_tenant = "<slug:slug>" in route or "<slug:school_slug>" in route
        for slug in ("greenfield", "riverside") if is_tenant else ("",):
            url = _fill(route, slug)
            methods = API_METHODS if url.startswith("/api/") else WORKSPACE_METHODS
            for method in methods:
                if method == "post" and name in SESSION_ENDING:
                    continue
                (tenant if is_tenant else other).append((name, url, method, slug, "<int:" in route))
    return tenant + other


def _send(client, api, method, url):
    if url.startswith("/api/"):
        return getattr(api, method)(url, {} if method in ("post", "patch") else None, format="json")
    return getattr(client, method)(url)


def _problem(client, api, name, url, method, slug, has_id):
    """What is wrong with Charlie's answer to one probe, or None."""
    response = _send(client, api, method, url)
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if (sentinel := _hidden(response, PUBLIC_ROUTES.get(name, ()))) is not None:
        return f"{status}, revealed {sentinel!r}"
    if name in PUBLIC_ROUTES:
        return None if method != "get" or status == 200 else f"{status}, want 200"
    if slug == "greenfield" and status != 404:
        # A method refused before the school is looked up is refused for every school alike.
        nowhere = _send(client, api, method, url.replace("/greenfield/", "/nowhere/", 1)).status_code
        return None if status == 405 == nowhere else f"{status}, want 404 (as for no school: {nowhere})"
    if slug == "riverside" and has_id and status not in (404, 405):
        # No Riverside row of any model has SEEDED_ID, so a request that finds one found Greenfield's
        # (405: the method is not the route's).
        return f"{status}, want 404"
    return None


@pytest.mark.django_db
def test_every_route_hides_greenfield_from_riverside_admin(school, other_school, charlie, verified_client, api):
    # given: one row of every school-scoped model at Greenfield, all with pk SEEDED_ID
    rows = _seed_greenfield(school, other_school)
    before = snapshot(rows, school)
    client = verified_client(charlie)
    api.force_authenticate(charlie)
    # A crash is one more finding in the list, not the end of the walk.
    client.raise_request_exception = api.raise_request_exception = False
    probes = _probes()
    # when: Charlie sends every probe
    problems = [
        f"{method.upper()} {url}: {problem}"
        for name, url, method, slug, has_id in probes
        if (problem := _problem(client, api, name, url, method, slug, has_id)) is not None
    ]
    # then: no answer showed Greenfield's data or crashed, and no probe reached a seeded row: each is
    # still there, unchanged, and none of its text was copied to Riverside
    after = snapshot(rows, school)
    problems += [f"seeded {label} changed or removed" for label in before if after[label] != before[label]]
    problems += [
        f"{m._meta.label}: Riverside has the marker" for m in rows if rows_with_marker(m, other_school).exists()
    ]
    assert not problems, f"{len(probes)} probes:\n" + "\n".join(problems)
    assert len(probes) > 500
    # The walk ran signed in to the end (not against the sign-in page).
    assert b"RVCPupil" in client.get("/s/riverside/students/").content


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
