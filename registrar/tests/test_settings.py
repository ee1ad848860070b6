"""Admission settings without the admin: the documents checklist (with the board's missing counts
recounted), the admission number pattern with its preview, the API, and who may see them."""

import os
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from classpoint.browser_testing import CHROMIUM, new_page
from classpoint.models import AuditLog, Counter
from registrar import services
from registrar.checklist import requirements_for
from registrar.errors import RegistrarError
from registrar.models import Application, DocumentRequirement
from registrar.services import settings as admission_settings
from schools.models import SchoolProfile
from schools.services import admission_number_allocate
from schools.tests import factories as f

from . import factories as rf

pytestmark = pytest.mark.django_db

S = Application.Status
PAGE = "/s/greenfield/registrar/settings/"
DOCUMENTS = PAGE + "documents/"
PATTERN = PAGE + "admission-number/"
PREVIEW = PATTERN + "preview/"
API = "/api/v1/schools/greenfield/admission-settings/"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reg(registrar, verified_client):
    return verified_client(registrar)


def rules(school):
    return sorted(DocumentRequirement.objects.for_school(school).values_list("level", "kind", "is_required"))


def pattern_of(school):
    return SchoolProfile.objects.get(school=school).admission_number_pattern


def checked(body):
    """The ticked cells of the checklist as (level, kind)."""
    found = re.findall(r'name="require-(\w+)" value="([^"]*)" checked', body)
    return {(level, kind) for kind, level in found}


# --- The page -------------------------------------------------------------------------------


def test_page_shows_the_checklist_by_level_and_the_pattern_with_the_next_number(school, reg):
    # given a rule for every level, one for JSS 2 (a class the school teaches) and 41 admissions so far
    f.ClassGroupFactory(school=school, name="JSS 2A", level="JSS 2")
    DocumentRequirement.objects.create(school=school, level="", kind="birth_certificate")
    DocumentRequirement.objects.create(school=school, level="JSS 2", kind="last_report")
    Counter.objects.create(school=school, key="admission", value=41)
    SchoolProfile.objects.filter(school=school).update(admission_number_pattern="{SLUG}/{SEQ:4}")
    # when
    response = reg.get(PAGE)
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Admission settings</h1>" in body
    assert re.findall(r'<th scope="row" id="level-\d+">([^<\n]+)', body) == ["All levels", "JSS 1", "JSS 2"]
    assert checked(body) == {("", "birth_certificate"), ("JSS 2", "last_report")}
    assert 'value="{SLUG}/{SEQ:4}"' in body and "<strong data-preview>GREENFIELD/0042</strong>" in body
    assert "{YEAR}" in body and "{SLUG}" in body  # the tokens are explained


def test_board_header_links_to_the_settings(school, reg):
    body = reg.get("/s/greenfield/registrar/").content.decode()
    assert f'href="{PAGE}"' in body


# --- Documents checklist --------------------------------------------------------------------


def test_saving_the_checklist_recounts_open_applications_but_not_enrolled_ones(school, reg, registrar):
    # given an enrolled application, an open one without documents and one with a birth certificate
    enrolled = rf.in_status(school, S.CONVERTED, registrar)
    bare = rf.submit(school, child=rf.applicant(first_name="Ada"))
    with_certificate = rf.submit(
        school, child=rf.applicant(first_name="Bola"), documents=[("birth_certificate", rf.upload())]
    )
    assert {a.missing_documents for a in (enrolled, bare, with_certificate)} == {0}
    # when the registrar requires a birth certificate from everyone and a photo from JSS 1
    response = reg.post(DOCUMENTS, {"require-birth_certificate": [""], "require-photo": ["JSS 1"]})
    # then
    assert response.status_code == 302 and response["Location"] == PAGE
    assert rules(school) == [("", "birth_certificate", True), ("JSS 1", "photo", True)]
    counts = dict(Application.objects.for_school(school).values_list("pk", "missing_documents"))
    assert counts == {enrolled.pk: 0, bare.pk: 2, with_certificate.pk: 1}
    assert "changed on 2 open applications" in reg.get(PAGE).content.decode()
    entry = AuditLog.objects.get(school=school, action="registrar.document_requirements_set")
    assert entry.actor == registrar and entry.changes["recounted_applications"] == 2
    assert entry.changes["before"] == [] and len(entry.changes["after"]) == 2


def test_unticking_replaces_the_checklist_and_lowers_the_counts(school, reg, registrar):
    DocumentRequirement.objects.create(school=school, level="", kind="photo")
    DocumentRequirement.objects.create(school=school, level="JSS 1", kind="last_report")
    application = rf.submit(school)
    assert application.missing_documents == 2
    # when every box is unticked
    assert reg.post(DOCUMENTS, {}).status_code == 302
    # then no rule is left and nothing is missing any more
    assert rules(school) == []
    application.refresh_from_db()
    assert application.missing_documents == 0


def test_an_unknown_level_is_refused_beside_its_row_and_nothing_is_saved(school, reg):
    DocumentRequirement.objects.create(school=school, level="", kind="photo")
    application = rf.submit(school)
    # when the form arrives with a level the school does not teach (a class group removed meanwhile)
    response = reg.post(DOCUMENTS, {"require-photo": ["JSS 1"], "require-birth_certificate": ["SS 9"]})
    # then
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body
    row = re.search(r'<tr class="has-error">(.*?)</tr>', body, re.S).group(1)
    assert "SS 9" in row and "is not one of the school&#x27;s class levels" in row and 'aria-invalid="true"' in row
    assert ("JSS 1", "photo") in checked(body)  # the ticks come back as posted
    assert rules(school) == [("", "photo", True)]
    application.refresh_from_db()
    assert application.missing_documents == 1
    assert not AuditLog.objects.filter(action="registrar.document_requirements_set").exists()


def test_an_unchanged_checklist_writes_nothing(school, registrar):
    DocumentRequirement.objects.create(school=school, level="", kind="photo")
    changed = services.document_requirements_set(school=school, actor=registrar, requirements=[("", "photo")])
    assert changed == 0 and not AuditLog.objects.filter(action="registrar.document_requirements_set").exists()


def test_an_exemption_made_in_the_admin_is_shown_level_by_level_and_kept_on_save(school, reg):
    # given "photo for all levels, except JSS 1" (only the admin can say "except")
    f.ClassGroupFactory(school=school, name="JSS 2A", level="JSS 2")
    DocumentRequirement.objects.create(school=school, level="", kind="photo")
    DocumentRequirement.objects.create(school=school, level="JSS 1", kind="photo", is_required=False)
    # when the page is shown and saved as it is
    ticks = checked(reg.get(PAGE).content.decode())
    assert ticks == {("JSS 2", "photo")}
    assert reg.post(DOCUMENTS, {"require-photo": ["JSS 2"]}).status_code == 302
    # then every level requires what it required before
    assert requirements_for(school=school, level="JSS 1") == []
    assert requirements_for(school=school, level="JSS 2") == ["photo"]


def test_the_recount_costs_the_same_queries_however_many_applications(school, registrar):
    """One read of the rules per class level and one UPDATE per resulting count, never one per application."""
    f.ClassGroupFactory(school=school, name="JSS 2A", level="JSS 2")

    def cost(requirements):
        with CaptureQueriesContext(connection) as queries:
            services.document_requirements_set(school=school, actor=registrar, requirements=requirements)
        if connection.vendor == "postgresql":  # the open applications are locked while they are recounted
            assert any("FOR UPDATE" in q["sql"] and '"registrar_application"' in q["sql"] for q in queries)
        return len(queries)

    rf.submit(school)
    rf.submit(school, child=rf.applicant(first_name="Femi", class_level="JSS 2"))
    few = cost([("", "photo")])
    for n in range(8):
        rf.submit(
            school,
            child=rf.applicant(first_name=f"Child{n}", class_level="JSS 2" if n % 2 else "JSS 1"),
            documents=[("photo", rf.upload(rf.PNG, "p.png", "image/png"))] if n % 3 == 0 else (),
        )
    assert cost([("", "birth_certificate")]) == few
    missing = sorted(Application.objects.for_school(school).values_list("missing_documents", flat=True))
    assert missing == [1] * 10


# --- Admission number pattern ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("{YEAR}/{NUM}", "Unknown token {NUM}"),
        ("{YEAR}/GFA", "Include {SEQ}"),
        ("GFA#{SEQ:4}", "(not #)"),
        ("{SEQ:4}{", "(not {)"),
        ("{SEQ:0}", "between 1 and 12 digits"),
        ("ADMISSION-NUMBER-OF-{SLUG}-{YEAR}-{SEQ:6}", "keep them to 40"),
        ("", "Enter a pattern"),
    ],
)
def test_a_bad_pattern_is_refused_with_a_field_error_and_nothing_is_saved(school, reg, pattern, says):
    # when
    response = reg.post(PATTERN, {"admission_number_pattern": pattern})
    # then
    assert response.status_code == 400
    body = response.content.decode()
    field = re.search(r'<div class="field has-error">(.*?)</div>', body, re.S).group(1)
    assert 'aria-invalid="true"' in field and says in field.replace("&#x27;", "'")
    assert "Nothing was saved" in body
    assert pattern_of(school) == "{YEAR}/{SEQ:4}"
    assert not AuditLog.objects.filter(action="registrar.admission_pattern_set").exists()


def test_a_good_pattern_is_saved_audited_and_used_for_the_next_student(school, reg, registrar):
    # when
    response = reg.post(PATTERN, {"admission_number_pattern": "  {SLUG}/{YEAR}/{SEQ:3}  "})
    # then
    assert response.status_code == 302
    assert pattern_of(school) == "{SLUG}/{YEAR}/{SEQ:3}"
    entry = AuditLog.objects.get(school=school, action="registrar.admission_pattern_set")
    assert entry.changes == {"admission_number_pattern": ["{YEAR}/{SEQ:4}", "{SLUG}/{YEAR}/{SEQ:3}"]}
    year = admission_settings.admission_year(school=school)
    with transaction.atomic():
        assert admission_number_allocate(school=school) == f"GREENFIELD/{year}/001"


def test_preview_shows_the_next_number_without_taking_it(school, reg):
    # given 41 numbers given, and the 42nd already held by an imported student
    Counter.objects.create(school=school, key="admission", value=41)
    f.StudentFactory(school=school, admission_number="GREENFIELD-0042")
    # when the registrar types a pattern
    response = reg.get(PREVIEW, {"admission_number_pattern": "{SLUG}-{SEQ:4}"}, **HX)
    # then the line under the input shows the number enrolment would give, and the counter has not moved
    assert response.status_code == 200 and response["Vary"].count("HX-Request") == 1
    assert response.content.decode().strip() == "<strong data-preview>GREENFIELD-0043</strong>"
    assert Counter.objects.get(school=school, key="admission").value == 41
    SchoolProfile.objects.filter(school=school).update(admission_number_pattern="{SLUG}-{SEQ:4}")
    with transaction.atomic():
        assert admission_number_allocate(school=school) == "GREENFIELD-0043"


def test_preview_writes_no_counter_and_says_what_is_wrong(school, reg):
    ok = reg.get(PREVIEW, {"admission_number_pattern": "{SEQ}"}, **HX)
    assert "<strong data-preview>1</strong>" in ok.content.decode()
    bad = reg.get(PREVIEW, {"admission_number_pattern": "{YEAR}/{NUM}"}, **HX)
    assert bad.status_code == 200 and "Unknown token {NUM}" in bad.content.decode()
    assert not Counter.objects.filter(school=school).exists()


def test_preview_without_javascript_is_the_page_with_the_typed_pattern(school, reg):
    response = reg.get(PREVIEW, {"admission_number_pattern": "GFA/{SEQ:5}"})
    body = response.content.decode()
    assert response.status_code == 200 and "<h1>Admission settings</h1>" in body
    assert 'value="GFA/{SEQ:5}"' in body and "<strong data-preview>GFA/00001</strong>" in body
    assert pattern_of(school) == "{YEAR}/{SEQ:4}"


# --- Who may ---------------------------------------------------------------------------------


def test_member_of_another_school_gets_404_everywhere(school, other_school, charlie, verified_client, api):
    client = verified_client(charlie)
    assert client.get(PAGE).status_code == 404
    assert client.get(PREVIEW, {"admission_number_pattern": "{SEQ}"}).status_code == 404
    assert client.post(DOCUMENTS, {"require-photo": [""]}).status_code == 404
    assert client.post(PATTERN, {"admission_number_pattern": "X/{SEQ}"}).status_code == 404
    api.force_authenticate(charlie)
    assert api.get(API).status_code == 404
    put = api.put(API, {"requirements": [], "admission_number_pattern": "X/{SEQ}"}, format="json")
    assert put.status_code == 404
    assert rules(school) == [] and pattern_of(school) == "{YEAR}/{SEQ:4}"


def test_a_role_without_the_permission_gets_403(school, teacher, verified_client, api):
    client = verified_client(teacher)
    assert client.get(PAGE).status_code == 403
    assert client.post(DOCUMENTS, {"require-photo": [""]}).status_code == 403
    assert client.post(PATTERN, {"admission_number_pattern": "X/{SEQ}"}).status_code == 403
    assert client.get(PREVIEW, {"admission_number_pattern": "{SEQ}"}, **HX).status_code == 403
    api.force_authenticate(teacher)
    assert api.get(API).status_code == 403
    assert api.put(API, {"requirements": [], "admission_number_pattern": "X/{SEQ}"}, format="json").status_code == 403
    assert rules(school) == [] and pattern_of(school) == "{YEAR}/{SEQ:4}"


# --- API -------------------------------------------------------------------------------------


def test_api_round_trip(school, api, registrar):
    api.force_authenticate(registrar)
    application = rf.submit(school)
    # given the defaults
    body = api.get(API).json()
    assert body["levels"] == ["JSS 1"] and body["requirements"] == []
    assert body["admission_number_pattern"] == "{YEAR}/{SEQ:4}" and body["next_admission_number"].endswith("/0001")
    # when an integrator replaces both
    wanted = {
        "requirements": [{"level": "JSS 1", "kind": "photo"}, {"level": "", "kind": "birth_certificate"}],
        "admission_number_pattern": "GFA-{SEQ:5}",
    }
    response = api.put(API, wanted, format="json")
    # then the answer is what a later GET reads, and the open application was recounted
    assert response.status_code == 200, response.json()
    assert response.json() == api.get(API).json()
    assert response.json()["requirements"] == [
        {"level": "", "kind": "birth_certificate"},
        {"level": "JSS 1", "kind": "photo"},
    ]
    assert response.json()["next_admission_number"] == "GFA-00001"
    application.refresh_from_db()
    assert application.missing_documents == 2


def test_api_reports_every_bad_field_and_saves_nothing(school, api, registrar):
    api.force_authenticate(registrar)
    DocumentRequirement.objects.create(school=school, level="", kind="photo")
    response = api.put(
        API,
        {
            "requirements": [{"level": "", "kind": "birth_certificate"}, {"level": "SS 9", "kind": "photo"}],
            "admission_number_pattern": "{YEAR}",
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"requirements.1.level", "admission_number_pattern"}
    bad_kind = api.put(
        API, {"requirements": [{"level": "", "kind": "passport"}], "admission_number_pattern": "{SEQ}"}, format="json"
    )
    assert bad_kind.status_code == 400 and set(bad_kind.json()["error"]["fields"]) == {"requirements.0.kind"}
    assert rules(school) == [("", "photo", True)] and pattern_of(school) == "{YEAR}/{SEQ:4}"


def test_service_refuses_a_bad_pattern_with_the_field_named(school, registrar):
    with pytest.raises(RegistrarError) as refused:
        services.admission_pattern_set(school=school, actor=registrar, pattern="{SEQ}{BAD}")
    assert refused.value.code == "invalid_pattern" and "admission_number_pattern" in refused.value.fields


# --- In a browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed (apt-get install chromium)")
def test_in_a_browser_the_preview_follows_the_typing_and_the_checklist_saves(live_server, school, registrar, chromium):
    Counter.objects.create(school=school, key="admission", value=6)
    application = rf.submit(school)
    page = new_page(chromium)
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email or username").fill(registrar.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/s/greenfield/")
    page.goto(f"{live_server.url}/s/greenfield/registrar/")
    page.get_by_role("link", name="Admission settings").click()
    page.wait_for_url(f"**{PAGE}")
    # the preview follows the typing, and a bad pattern says why
    field = page.get_by_label("Admission number pattern")
    field.fill("{SLUG}/{SEQ:3}")
    page.locator("#pattern-preview [data-preview]").filter(has_text="GREENFIELD/007").wait_for()
    field.fill("{SLUG}/{NUMBER}")
    page.locator("#pattern-preview [data-preview-error]").filter(has_text="Unknown token {NUMBER}").wait_for()
    assert Counter.objects.get(school=school, key="admission").value == 6
    # the checklist: a photo from JSS 1
    page.get_by_label("Passport photo: JSS 1: required").check()
    page.get_by_role("button", name="Save the checklist").click()
    page.get_by_text("The missing-documents count changed on 1 open application.").wait_for()
    assert page.get_by_label("Passport photo: JSS 1: required").is_checked()
    application.refresh_from_db()
    assert application.missing_documents == 1
