"""The public application form and the family's signed links, through the test client."""

import re

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import override_settings

from classpoint.models import OutboxEvent
from registrar import links, services
from registrar.models import Application
from schools.models import School

from . import factories as rf

pytestmark = pytest.mark.django_db
S = Application.Status
URL = "/s/greenfield/apply/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def form_data(**overrides):
    data = {
        "first_name": "Chinedu",
        "last_name": "Bello",
        "date_of_birth": "2014-03-21",
        "gender": "male",
        "class_level": "JSS 1",
        "previous_school": "Bright Stars",
        "g1_first_name": "Amina",
        "g1_last_name": "Bello",
        "g1_relationship": "Mother",
        "g1_phone": "0805 555 0101",
        "g1_email": "amina@example.ng",
        "g1_consent_sms": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored(school):
    try:
        dirs, files = default_storage.listdir(f"applications/{school.pk}")
    except FileNotFoundError:
        return []
    return dirs + files


def test_the_form_is_labelled_and_works_without_javascript(client, school):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    for field in ("first_name", "last_name", "date_of_birth", "class_level", "g1_phone", "birth_certificate", "photo"):
        assert f'<label for="id_{field}">' in body
    assert 'enctype="multipart/form-data"' in body and "<legend>Sex</legend>" in body
    assert '<option value="JSS 1">JSS 1</option>' in body
    honeypot = re.search(r"<div hidden aria-hidden=\"true\">.*?</div>", body, re.S).group(0)
    assert 'name="website"' in honeypot and 'tabindex="-1"' in honeypot
    assert "GFA JSS 1A" not in body and "GFAPupil" not in body  # levels are shown, never the school's classes


def test_an_application_with_an_upload_is_received_with_its_reference(client, school):
    data = form_data(birth_certificate=rf.upload(), photo=rf.upload(rf.PNG, "me.png", "image/png"))
    response = client.post(URL, data)
    assert response.status_code == 302
    page = client.get(response["Location"])
    application = Application.objects.for_school(school).get()
    assert application.reference in page.content.decode() and application.source == "form"
    assert sorted(application.documents.values_list("kind", flat=True)) == ["birth_certificate", "photo"]
    assert application.guardians.get().phone == "+2348055550101"
    assert OutboxEvent.objects.filter(payload__template="APPLICATION_RECEIVED").count() == 1


def test_a_refused_file_is_explained_beside_its_field_and_nothing_is_kept(client, school):
    response = client.post(URL, form_data(birth_certificate=rf.upload(rf.EXE, "cert.pdf")))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_birth_certificate_error"' in body and "must be a PDF, JPEG or PNG" in body
    assert 'aria-describedby="id_birth_certificate_helptext id_birth_certificate_error"' in body
    assert 'href="#id_birth_certificate"' in body  # the summary links to the field
    assert not Application.objects.exists() and stored(school) == []


@override_settings(APPLICATION_DOCUMENT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_refused(client, school):
    big = rf.upload(rf.PDF + b"\0" * (1024 * 1024), "report.pdf")
    response = client.post(URL, form_data(last_report=big))
    assert response.status_code == 400 and "larger than 1 MB" in response.content.decode()
    assert not Application.objects.exists() and stored(school) == []


def test_service_errors_land_on_the_fields(client, school):
    response = client.post(URL, form_data(g1_phone="12345", g1_email="", date_of_birth="1990-01-01"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_g1_phone_error"' in body and "valid phone number" in body
    assert 'id="id_date_of_birth_error"' in body and 'aria-invalid="true"' in body
    assert not Application.objects.exists()


def test_a_second_guardian_is_taken_only_when_given(client, school):
    response = client.post(URL, form_data(g2_first_name="Musa"))
    assert response.status_code == 400 and 'id="id_g2_last_name_error"' in response.content.decode()
    response = client.post(URL, form_data(g2_first_name="Musa", g2_last_name="Bello", g2_phone="08055550102"))
    assert response.status_code == 302
    assert Application.objects.for_school(school).get().guardians.count() == 2


def test_a_filled_honeypot_pretends_success_and_stores_nothing(client, school):
    response = client.post(URL, form_data(website="http://spam.example", birth_certificate=rf.upload()))
    assert response.status_code == 200 and "application was received" in response.content.decode()
    assert not Application.objects.exists() and stored(school) == []
    assert not OutboxEvent.objects.filter(event_type="messaging.requested").exists()


@override_settings(APPLICATION_RATE_LIMIT=2)
def test_applications_are_rate_limited_per_address(client, school):
    for n in range(2):
        assert client.post(URL, form_data(g1_phone=f"0805555020{n}"), REMOTE_ADDR="10.0.0.7").status_code == 302
    response = client.post(URL, form_data(g1_phone="08055550209"), REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 429 and "Too many applications" in response.content.decode()
    assert Application.objects.count() == 2
    # Another address is not affected.
    assert client.post(URL, form_data(g1_phone="08055550210"), REMOTE_ADDR="10.0.0.8").status_code == 302


@override_settings(
    APPLICATION_RATE_LIMIT=2, TRUSTED_PROXIES=[], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_a_client_chosen_forwarded_for_does_not_escape_the_limit(client, school):
    # given: a client that names a new address in X-Forwarded-For on every post
    statuses = [
        client.post(
            URL, form_data(g1_phone=f"0805555030{n}"), REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(4)
    ]
    # then: it is still one address
    assert statuses == [302, 302, 429, 429]
    assert Application.objects.count() == 2


@override_settings(APPLICATION_RATE_LIMIT=2, TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_client_a_trusted_proxy_names_is_the_one_limited(client, school):
    def post(n, forwarded):
        data = form_data(g1_phone=f"0805555040{n}")
        return client.post(URL, data, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).status_code

    # given: two families behind the same load balancer; the first forges a hop before its own
    assert post(1, "198.51.100.1") == 302
    assert post(2, "6.6.6.6, 198.51.100.1") == 302
    # then: the first family is limited, the second is not
    assert post(3, "7.7.7.7, 198.51.100.1") == 429
    assert post(4, "198.51.100.2") == 302


@override_settings(APPLICATION_RATE_LIMIT=1)
def test_a_refused_submission_does_not_use_up_the_limit(client, school):
    assert client.post(URL, form_data(g1_phone="12345")).status_code == 400
    assert client.post(URL, form_data()).status_code == 302
    assert client.post(URL, form_data(g1_phone="08055550111")).status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(APPLICATION_RATE_LIMIT=5)
def test_a_simultaneous_burst_from_one_address_stores_at_most_the_limit(school):
    from django.test import Client

    from classpoint.testing import run_concurrently

    statuses = []

    def submit(n):
        response = Client().post(URL, form_data(g1_phone=f"080555506{n:02d}"), REMOTE_ADDR="203.0.113.50")
        statuses.append(response.status_code)

    # when: fifteen submissions from one address arrive at once
    errors = run_concurrently(submit, list(range(15)))
    # then: five are accepted and stored, the rest are told to wait
    assert not errors
    assert sorted(statuses) == [302] * 5 + [429] * 10
    assert Application.objects.for_school(school).count() == 5


@override_settings(APPLICATION_CONFIRMATIONS_PER_HOUR=2)
def test_confirmations_are_capped_per_school_per_hour(client, school, other_school, caplog):
    from classpoint.models import AuditLog

    def received_messages(s):
        return OutboxEvent.objects.filter(school=s, payload__template="APPLICATION_RECEIVED").count()

    # given: three families (three addresses) apply to Greenfield within the hour
    for n in range(3):
        data = form_data(g1_phone=f"0805555070{n}")
        assert client.post(URL, data, REMOTE_ADDR=f"198.51.100.{n}").status_code == 302
    # then: all three applications are kept, but only two confirmations are asked for
    assert Application.objects.for_school(school).count() == 3
    assert received_messages(school) == 2
    withheld = AuditLog.objects.get(school=school, action="application.confirmation_withheld")
    assert withheld.changes["limit_per_hour"] == 2
    assert Application.objects.for_school(school).get(pk=withheld.target_id).reference in caplog.text
    # and another school's cap is its own
    other = client.post("/s/riverside/apply/", form_data(g1_phone="08055550799"), REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 302 and received_messages(other_school) == 1


def test_unknown_or_suspended_school_is_not_found(client, school):
    assert client.get("/s/nowhere/apply/").status_code == 404
    School.objects.filter(pk=school.pk).update(status=School.Status.SUSPENDED)
    assert client.get(URL).status_code == 404
    assert client.post(URL, form_data()).status_code == 404


def test_a_school_without_classes_says_it_is_not_taking_applications(client, db):
    from schools.tests.factories import provision

    provision("emptyschool", "Empty School")
    response = client.get("/s/emptyschool/apply/")
    assert response.status_code == 200 and "not taking applications" in response.content.decode()


@override_settings(ALLOWED_HOSTS=[".classpoint.ng", "apply.greenfield.edu.ng"])
def test_the_form_is_at_apply_on_the_schools_own_hostname(client, school):
    school.domains.create(hostname="apply.greenfield.edu.ng", is_custom=True)
    for host in ("greenfield.classpoint.ng", "apply.greenfield.edu.ng"):
        response = client.get("/apply/", HTTP_HOST=host)
        assert response.status_code == 200 and "Apply for admission" in response.content.decode()
    response = client.post("/apply/", form_data(), HTTP_HOST="apply.greenfield.edu.ng")
    assert response.status_code == 302
    assert Application.objects.for_school(school).count() == 1


# --- Signed links ---------------------------------------------------------------------------


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_needs_info_link_round_trip(client, school, registrar):
    # given a registrar asks for the birth certificate
    application = rf.in_status(school, S.IN_REVIEW, registrar)
    services.application_transition(
        application=application, to_status=S.NEEDS_INFO, actor=registrar, needs_info_items=["Birth certificate"]
    )
    request = OutboxEvent.objects.get(payload__template="APPLICATION_NEEDS_INFO")
    link = _path(request.payload["context"]["status_link"])
    # when the guardian opens the link
    page = client.get(link)
    body = page.content.decode()
    # then they see only the reference, the first name and what is missing
    assert page.status_code == 200
    assert application.reference in body and "Chinedu" in body and "Birth certificate" in body
    assert "Bello" not in body and "2014" not in body
    # when they send a refused file, then nothing moves
    refused = client.post(link, {"birth_certificate": rf.upload(rf.EXE, "cert.pdf")})
    assert refused.status_code == 400 and "must be a PDF, JPEG or PNG" in refused.content.decode()
    # when they send the document
    sent = client.post(link, {"birth_certificate": rf.upload()})
    assert sent.status_code == 302
    application.refresh_from_db()
    assert application.status == S.IN_REVIEW
    assert application.documents.get().uploaded_via == "link"
    assert application.events.filter(kind="status").latest("id").note == "Guardian sent the requested documents"
    assert "has your documents" in client.get(sent["Location"]).content.decode()
    # and the link is spent
    again = client.get(link)
    assert again.status_code == 404 and "does not work any more" in again.content.decode()


def test_forged_expired_or_foreign_links_get_a_friendly_404(client, school, other_school, registrar):
    application = rf.in_status(school, S.NEEDS_INFO, registrar)
    link = _path(links.needs_info_url(application))
    assert client.get(link).status_code == 200
    for path in (
        link[:-6] + "xxxxx/",
        link.replace("/greenfield/", "/riverside/"),
        URL + "more/x/",
        URL + "status/x/",
        URL + "received/x/",
    ):
        response = client.get(path)
        assert response.status_code == 404 and "does not work any more" in response.content.decode()
        assert "Greenfield" not in response.content.decode()
    with override_settings(APPLICATION_LINK_MAX_AGE_DAYS=-1):
        assert client.get(link).status_code == 404


def test_the_status_page_shows_where_the_application_stands(client, school, registrar):
    application = rf.in_status(school, S.NEEDS_INFO, registrar)
    page = client.get(_path(links.status_url(application)))
    body = page.content.decode()
    assert page.status_code == 200 and application.reference in body and "needs something more" in body
    assert "/apply/more/" in body
