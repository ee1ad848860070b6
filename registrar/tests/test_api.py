import datetime

import pytest
from django.utils import timezone

from registrar.models import Application, DocumentRequirement
from schools.tests import factories as f

from . import factories as rf

pytestmark = pytest.mark.django_db
S = Application.Status
BASE = "/api/v1/schools/greenfield"


@pytest.fixture
def reg_api(api, registrar):
    api.force_authenticate(registrar)
    return api


def payload(**applicant):
    return {
        "applicant": {
            "first_name": "Chinedu",
            "last_name": "Bello",
            "date_of_birth": "2014-03-21",
            "gender": "male",
            "class_level": "JSS 1",
            **applicant,
        },
        "guardians": [{"first_name": "Amina", "last_name": "Bello", "phone": "08055550101", "consent_sms": True}],
    }


def test_integrator_creates_an_application_once_per_idempotency_key(school, reg_api):
    response = reg_api.post(f"{BASE}/applications/", payload(), HTTP_IDEMPOTENCY_KEY="form-77")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "APP-000001" and body["status"] == "pending"
    assert body["guardians"][0]["phone"] == "+2348055550101" and body["allowed_moves"][0] == "in_review"
    assert body["events"][0]["to_status"] == "pending" and body["source"] == "api"
    replay = reg_api.post(f"{BASE}/applications/", payload(), HTTP_IDEMPOTENCY_KEY="form-77")
    assert replay.json() == body and replay["Idempotent-Replayed"] == "true"
    assert Application.objects.for_school(school).count() == 1
    clash = reg_api.post(f"{BASE}/applications/", payload(first_name="Ada"), HTTP_IDEMPOTENCY_KEY="form-77")
    assert clash.status_code == 409


def test_bad_input_names_each_field_by_its_path(school, reg_api):
    response = reg_api.post(f"{BASE}/applications/", {**payload(date_of_birth="21/03/2014"), "guardians": [{}]})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"applicant.date_of_birth", "guardians.0.first_name", "guardians.0.last_name"} <= set(fields)
    data = payload(class_level="SS 9")
    data["guardians"][0]["phone"] = "123"
    fields = reg_api.post(f"{BASE}/applications/", data).json()["error"]["fields"]
    assert set(fields) == {"applicant.class_level", "guardians.0.phone"}
    assert not Application.objects.exists()


def test_the_list_filters_like_the_board(school, reg_api, registrar):
    DocumentRequirement.objects.create(school=school, kind="birth_certificate")
    mother = rf.guardian(phone="+2348055550999")
    old = rf.submit(school, guardians=[mother], documents=[("birth_certificate", rf.upload())])
    Application.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=10),
        status_changed_at=timezone.now() - datetime.timedelta(days=5),
    )
    twin = rf.submit(school, guardians=[mother])
    other = rf.submit(school, child=rf.applicant(first_name="Zainab"))
    rf.in_status(school, S.REJECTED, registrar, child=rf.applicant(first_name="Old"))

    def refs(query):
        response = reg_api.get(f"{BASE}/applications/?{query}")
        assert response.status_code == 200, response.json()
        return [row["reference"] for row in response.json()["results"]]

    assert refs("") == ["APP-000004", other.reference, twin.reference, old.reference]  # newest first
    assert refs("status=pending&duplicates=true") == [twin.reference]
    assert refs("missing_documents=true&status=pending") == [other.reference, twin.reference]
    assert refs("stale=true") == [old.reference]
    assert refs("q=zainab") == [other.reference] and refs("q=08055550999") == [twin.reference, old.reference]
    today = school.local_today()
    assert refs(f"submitted_from={today}&status=pending") == [other.reference, twin.reference]
    assert refs(f"submitted_to={today - datetime.timedelta(days=1)}") == [old.reference]
    assert refs("class_level=JSS 2") == []
    assert reg_api.get(f"{BASE}/applications/?submitted_from=last-week").status_code == 400


def test_from_application_to_enrolled_student_over_the_api(school, reg_api):
    group = school.class_groups.order_by("id").first()
    rf.fee_schedule(school, group)
    app_id = reg_api.post(f"{BASE}/applications/", payload()).json()["id"]
    url = f"{BASE}/applications/{app_id}"
    refused = reg_api.post(f"{url}/transition/", {"to_status": "approved"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_transition"
    assert reg_api.post(f"{url}/transition/", {"to_status": "in_review"}).json()["status"] == "in_review"
    asked = reg_api.post(f"{url}/transition/", {"to_status": "needs_info"})
    assert asked.status_code == 400 and "needs_info_items" in asked.json()["error"]["fields"]
    not_placed = reg_api.post(f"{url}/approve/", {"send_invoice": True})
    assert not_placed.status_code == 400 and "placement" in not_placed.json()["error"]["fields"]
    placed = reg_api.post(f"{url}/place/", {"class_group_id": group.pk})
    assert placed.status_code == 200 and placed.json()["placed_class_group_id"] == group.pk
    approved = reg_api.post(f"{url}/approve/", {"send_invoice": True, "send_autopay_link": True})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["invoice_id"]
    converted = reg_api.post(f"{url}/convert/", {"send_welcome": True}, HTTP_IDEMPOTENCY_KEY="convert-1")
    assert converted.status_code == 200 and converted.json()["status"] == "converted"
    again = reg_api.post(f"{url}/convert/", {})
    assert again.status_code == 200 and again.json()["student_id"] == converted.json()["student_id"]
    assert school.students.get(pk=again.json()["student_id"]).status == "active"


def test_a_clash_on_placement_is_a_409_with_the_reason(school, reg_api):
    full = f.ClassGroupFactory(school=school, name="JSS 1 Full", level="JSS 1", capacity=0)
    application = rf.submit(school)
    response = reg_api.post(f"{BASE}/applications/{application.pk}/place/", {"class_group_id": full.pk})
    assert response.status_code == 409
    assert "JSS 1 Full is full" in response.json()["error"]["message"]
    missing = reg_api.post(f"{BASE}/applications/{application.pk}/place/", {"class_group_id": 999999})
    assert missing.status_code == 400 and "class_group_id" in missing.json()["error"]["fields"]


def test_documents_upload_list_and_review(school, reg_api):
    application = rf.submit(school)
    url = f"{BASE}/applications/{application.pk}/documents/"
    refused = reg_api.post(url, {"kind": "photo", "file": rf.upload(rf.PDF, "photo.pdf")}, format="multipart")
    assert refused.status_code == 400 and refused.json()["error"]["fields"] == {
        "file": ["The passport photo must be a JPEG or PNG image."]
    }
    created = reg_api.post(url, {"kind": "birth_certificate", "file": rf.upload()}, format="multipart")
    assert created.status_code == 201, created.json()
    document = created.json()
    assert document["content_type"] == "application/pdf" and document["uploaded_via"] == "api"
    assert "/files/" in document["file_url"]
    assert reg_api.get(url).json()["count"] == 1
    review = f"{url}{document['id']}/review/"
    assert reg_api.post(review, {"status": "rejected"}).status_code == 400
    reviewed = reg_api.post(review, {"status": "verified"})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "verified"


def test_duplicates_are_listed_and_resolved(school, reg_api):
    mother = rf.guardian()
    first = rf.submit(school, guardians=[mother])
    again = rf.submit(school, guardians=[mother])
    listed = reg_api.get(f"{BASE}/duplicates/").json()
    assert listed["count"] == 1
    flag = listed["results"][0]
    assert (flag["application_reference"], flag["other_application_reference"]) == (again.reference, first.reference)
    resolved = reg_api.post(f"{BASE}/duplicates/{flag['id']}/resolve/", {"action": "merge"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "merged"
    assert reg_api.get(f"{BASE}/duplicates/").json()["count"] == 0
    again.refresh_from_db()
    assert again.status == S.WITHDRAWN


def test_another_schools_admin_gets_404_everywhere(school, other_school, charlie, api):
    application = rf.submit(school)
    document = rf.submit(school, documents=[("birth_certificate", rf.upload())]).documents.get()
    mother = rf.guardian()
    rf.submit(school, guardians=[mother])
    flag = rf.submit(school, guardians=[mother]).duplicate_flags.get()
    api.force_authenticate(charlie)
    app_url = f"{BASE}/applications/{application.pk}"
    for method, path in [
        ("get", f"{BASE}/applications/"),
        ("get", f"{app_url}/"),
        ("post", f"{app_url}/transition/"),
        ("post", f"{app_url}/place/"),
        ("post", f"{app_url}/approve/"),
        ("post", f"{app_url}/convert/"),
        ("get", f"{app_url}/documents/"),
        ("post", f"{BASE}/applications/{document.application_id}/documents/{document.pk}/review/"),
        ("get", f"{BASE}/duplicates/"),
        ("post", f"{BASE}/duplicates/{flag.pk}/resolve/"),
    ]:
        assert getattr(api, method)(path, {"to_status": "in_review"}).status_code == 404, path
    # Riverside's own API does not reach Greenfield's ids either.
    riverside = "/api/v1/schools/riverside"
    assert api.get(f"{riverside}/applications/{application.pk}/").status_code == 404
    assert api.post(f"{riverside}/duplicates/{flag.pk}/resolve/", {"action": "dismiss"}).status_code == 404
    application.refresh_from_db()
    assert application.status == S.PENDING


def test_roles_without_the_permission_get_403(school, teacher, bursar, api):
    for user in (teacher, bursar):
        api.force_authenticate(user)
        assert api.get(f"{BASE}/applications/").status_code == 403
        assert api.post(f"{BASE}/applications/", payload()).status_code == 403


def test_an_upload_is_idempotent_whatever_its_size(school, reg_api):
    application = rf.submit(school)
    url = f"{BASE}/applications/{application.pk}/documents/"

    def send(key, content):
        upload = rf.upload(rf.PDF + content, "report.pdf")
        return reg_api.post(url, {"kind": "last_report", "file": upload}, format="multipart", HTTP_IDEMPOTENCY_KEY=key)

    big = b"\0" * (3 * 1024 * 1024)  # beyond what Django keeps in memory as a raw body
    first = send("upload-1", big)
    assert first.status_code == 201, first.content
    replay = send("upload-1", big)  # a new multipart boundary, the same upload
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    assert send("upload-1", b"other").status_code == 409
    assert application.documents.count() == 1


def test_list_and_detail_cost_the_same_queries_however_many_rows(school, reg_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(path):
        with CaptureQueriesContext(connection) as queries:
            assert reg_api.get(path).status_code == 200
        return len(queries)

    first = rf.submit(school, documents=[("birth_certificate", rf.upload())])
    few_list, few_detail = cost(f"{BASE}/applications/"), cost(f"{BASE}/applications/{first.pk}/")
    for n in range(4):
        rf.submit(
            school,
            guardians=[rf.guardian(), rf.guardian(first_name=f"G{n}")],
            documents=[("photo", rf.upload(rf.PNG, "p.png", "image/png"))],
        )
    busy = rf.submit(
        school,
        guardians=[rf.guardian(), rf.guardian()],
        documents=[("birth_certificate", rf.upload()), ("last_report", rf.upload())],
    )
    assert cost(f"{BASE}/applications/") == few_list
    assert cost(f"{BASE}/applications/{busy.pk}/") == few_detail
