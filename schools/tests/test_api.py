import pytest

from classpoint.api.auth import key_hash
from classpoint.models import ApiToken, AuditLog
from schools.models import ClassGroup, Enrollment, Guardian, School, Student
from schools.services import api_token_create

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "fields"}


@pytest.fixture
def integrator(school, api):
    token = api_token_create(school=school, name="SIS sync", role_key="registrar")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_token_auth_lists_students_paginated_in_stable_order(integrator, school):
    for i in range(3):
        Student.objects.create(school=school, admission_number=f"X{i}", first_name="Zed", last_name=f"Aa{i}")
    body = integrator.get("/api/v1/schools/greenfield/students/?page_size=2").json()
    assert body["count"] == 4
    assert [s["last_name"] for s in body["results"]] == ["Aa0", "Aa1"]
    assert body["next"]


def test_students_filter_by_search_and_status(integrator, school):
    Student.objects.create(school=school, admission_number="W1", first_name="Wura", last_name="Ade", status="withdrawn")
    assert [
        s["admission_number"] for s in integrator.get("/api/v1/schools/greenfield/students/?q=wura").json()["results"]
    ] == ["W1"]
    assert integrator.get("/api/v1/schools/greenfield/students/?status=withdrawn").json()["count"] == 1
    bad = integrator.get("/api/v1/schools/greenfield/students/?status=nonsense")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_create_student_then_read_it_writes_an_access_entry(integrator, school):
    response = integrator.post(
        "/api/v1/schools/greenfield/students/",
        {"admission_number": "GFA/0100", "first_name": "Tobi", "last_name": "Bello", "date_of_birth": "2014-03-02"},
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert integrator.get(f"/api/v1/schools/greenfield/students/{pk}/").json()["first_name"] == "Tobi"
    assert AuditLog.objects.filter(action="student.viewed", target_id=str(pk), changes__via="api").count() == 1
    assert AuditLog.objects.filter(action="student.created", target_id=str(pk)).exists()


def test_bad_student_input_gets_field_errors_and_changes_nothing(integrator, school):
    before = Student.objects.count()
    response = integrator.post(
        "/api/v1/schools/greenfield/students/",
        {"admission_number": "GFA/0001", "first_name": "", "date_of_birth": "31/02/2014", "gender": "x"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS and error["code"] == "invalid"
    assert {"first_name", "last_name", "date_of_birth", "gender"} <= set(error["fields"])
    assert Student.objects.count() == before


def test_duplicate_admission_number_is_a_field_error(integrator, school):
    response = integrator.post(
        "/api/v1/schools/greenfield/students/", {"admission_number": "GFA/0001", "first_name": "A", "last_name": "B"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_admission_number"
    assert "admission_number" in response.json()["error"]["fields"]


def test_patch_student_is_audited_with_changes(integrator, school):
    student = school.students.get(admission_number="GFA/0001")
    response = integrator.patch(f"/api/v1/schools/greenfield/students/{student.pk}/", {"last_name": "Okafor"})
    assert response.status_code == 200 and response.json()["last_name"] == "Okafor"
    entry = AuditLog.objects.get(action="student.updated", target_id=str(student.pk))
    assert entry.changes["last_name"][1] == "Okafor"


def test_guardian_phone_is_normalised_to_e164(integrator, school):
    student = school.students.first()
    response = integrator.post(
        "/api/v1/schools/greenfield/guardians/",
        {"first_name": "Ngozi", "last_name": "Eze", "phone": "0803 123 4567", "student_id": student.pk},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+2348031234567"
    assert response.json()["student_ids"] == [student.pk]


def test_guardian_bad_phone_is_refused(integrator):
    response = integrator.post(
        "/api/v1/schools/greenfield/guardians/", {"first_name": "N", "last_name": "E", "phone": "12"}
    )
    assert response.status_code == 400 and "phone" in response.json()["error"]["fields"]
    assert not Guardian.objects.filter(first_name="N").exists()


def test_linking_to_another_schools_student_is_refused(integrator, other_school):
    foreign = other_school.students.first()
    response = integrator.post(
        "/api/v1/schools/greenfield/guardians/",
        {"first_name": "N", "last_name": "E", "phone": "08031234567", "student_id": foreign.pk},
    )
    assert response.status_code == 400 and "student_id" in response.json()["error"]["fields"]


def test_enrollment_twice_in_a_term_is_refused(integrator, school):
    student = school.students.first()
    term = school.current_term()
    group = school.class_groups.first()
    response = integrator.post(
        "/api/v1/schools/greenfield/enrollments/",
        {"student_id": student.pk, "term_id": term.pk, "class_group_id": group.pk},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_enrolled"
    assert Enrollment.objects.filter(student=student).count() == 1


def test_enrollment_move_class(integrator, school):
    enrollment = school.enrollments.first()
    new_group = ClassGroup.objects.create(school=school, name="JSS 1B", level="JSS 1")
    response = integrator.patch(
        f"/api/v1/schools/greenfield/enrollments/{enrollment.pk}/", {"class_group_id": new_group.pk}
    )
    assert response.status_code == 200 and response.json()["class_group"] == "JSS 1B"


def test_terms_and_class_groups_lists(integrator, school):
    terms = integrator.get("/api/v1/schools/greenfield/terms/?is_current=true").json()
    assert terms["count"] == 1 and terms["results"][0]["is_current"] is True
    groups = integrator.get("/api/v1/schools/greenfield/class-groups/").json()
    assert groups["count"] == 1


def test_registrar_cannot_create_class_groups(integrator):
    response = integrator.post("/api/v1/schools/greenfield/class-groups/", {"name": "JSS 9", "level": "JSS 9"})
    assert response.status_code == 403
    assert set(response.json()["error"]) == ERROR_KEYS


def test_school_detail(integrator):
    body = integrator.get("/api/v1/schools/greenfield/").json()
    assert body["slug"] == "greenfield" and body["primary_domain"] == "greenfield.classpoint.ng"


def test_malformed_json_is_400_in_the_error_shape(integrator):
    response = integrator.generic(
        "POST", "/api/v1/schools/greenfield/students/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_oversized_body_is_refused(integrator, settings):
    settings.CLASSPOINT_MAX_BODY_BYTES = 1000
    response = integrator.generic(
        "POST", "/api/v1/schools/greenfield/students/", "x" * 2000, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_anonymous_is_401_in_the_error_shape(api, school):
    response = api.get("/api/v1/schools/greenfield/students/")
    assert response.status_code == 401
    assert set(response.json()["error"]) == ERROR_KEYS


class TestIdempotency:
    url = "/api/v1/schools/greenfield/students/"
    body = {"admission_number": "GFA/0200", "first_name": "Ife", "last_name": "Ola"}

    def test_same_key_same_body_replays_the_first_response(self, integrator):
        first = integrator.post(self.url, self.body, HTTP_IDEMPOTENCY_KEY="abc-1")
        second = integrator.post(self.url, self.body, HTTP_IDEMPOTENCY_KEY="abc-1")
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second["Idempotent-Replayed"] == "true"
        assert Student.objects.filter(admission_number="GFA/0200").count() == 1

    def test_same_key_other_body_is_409(self, integrator):
        integrator.post(self.url, self.body, HTTP_IDEMPOTENCY_KEY="abc-2")
        response = integrator.post(self.url, {**self.body, "first_name": "Other"}, HTTP_IDEMPOTENCY_KEY="abc-2")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_conflict"

    def test_errors_are_replayed_too(self, integrator):
        bad = {"admission_number": "GFA/0001", "first_name": "A", "last_name": "B"}
        first = integrator.post(self.url, bad, HTTP_IDEMPOTENCY_KEY="abc-3")
        again = integrator.post(self.url, bad, HTTP_IDEMPOTENCY_KEY="abc-3")
        assert first.status_code == again.status_code == 400 and first.json() == again.json()


class TestPlatform:
    url = "/api/v1/platform/schools/"

    def test_platform_admin_provisions_a_school(self, api, school, django_user_model):
        staff = django_user_model.objects.create_user("ops@classpoint.ng", is_staff=True)
        api.force_authenticate(staff)
        response = api.post(self.url, {"slug": "hilltop", "name": "Hilltop High", "admin_email": "head@hilltop.ng"})
        assert response.status_code == 201, response.json()
        assert response.json()["primary_domain"] == "hilltop.classpoint.ng"
        assert api.get(self.url).json()["count"] == 2

    def test_duplicate_slug_is_a_field_error(self, api, school, django_user_model):
        api.force_authenticate(django_user_model.objects.create_user("ops", is_staff=True))
        response = api.post(self.url, {"slug": "greenfield", "name": "Again", "admin_email": "x@y.ng"})
        assert response.status_code == 400 and "slug" in response.json()["error"]["fields"]
        assert School.objects.count() == 1

    def test_school_admin_is_not_a_platform_admin(self, api, alice):
        api.force_authenticate(alice)
        assert api.get(self.url).status_code == 403
        assert api.post(self.url, {"slug": "x-y-z", "name": "X", "admin_email": "a@b.ng"}).status_code == 403


def test_create_api_token_command_prints_a_new_key_last_and_keeps_only_its_hash(school, capsys):
    from django.core.management import call_command

    call_command("create_api_token", "--school", "greenfield", "--name", "ERP", "--role", "bursar")
    call_command("create_api_token", "--school", "greenfield", "--email", "erp@greenfield.test", "--role", "bursar")
    lines = capsys.readouterr().out.strip().splitlines()
    first, second = lines[1], lines[-1]
    # A key cannot be shown twice (only its hash is kept), so each run makes a token of its own.
    assert first != second
    assert set(ApiToken.objects.values_list("key_hash", flat=True)) == {key_hash(first), key_hash(second)}
    assert ApiToken.objects.filter(name="erp@greenfield.test").exists()


def test_openapi_schema_lists_every_endpoint(api, school):
    from django.contrib.auth import get_user_model

    api.force_authenticate(get_user_model().objects.create_user("reader"))
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/schools/{school_slug}/students/",
        "/api/v1/schools/{school_slug}/students/{id}/",
        "/api/v1/schools/{school_slug}/guardians/",
        "/api/v1/schools/{school_slug}/class-groups/",
        "/api/v1/schools/{school_slug}/terms/",
        "/api/v1/schools/{school_slug}/enrollments/",
        "/api/v1/platform/schools/",
    ):
        assert any(p.rstrip("/") == path.rstrip("/").replace("{id}", "{pk}") or p == path for p in paths), path


def test_a_full_class_refuses_another_enrollment_counting_placed_applicants(integrator, school):
    from registrar.tests.factories import place, submit

    # given a class with two places: one pupil enrolled, one applicant placed in it
    group = ClassGroup.objects.create(school=school, name="JSS 1C", level="JSS 1", capacity=2)
    term = school.current_term()
    enrolled = school.enrollments.first()
    assert (
        integrator.patch(
            f"/api/v1/schools/greenfield/enrollments/{enrolled.pk}/", {"class_group_id": group.pk}
        ).status_code
        == 200
    )
    applicant = place(submit(school), class_group=group)
    newcomer = Student.objects.create(school=school, admission_number="GFA/NEW1", first_name="New", last_name="Pupil")
    # when another pupil is enrolled there
    response = integrator.post(
        "/api/v1/schools/greenfield/enrollments/",
        {"student_id": newcomer.pk, "term_id": term.pk, "class_group_id": group.pk},
    )
    # then it is refused with the reason, and nothing is written
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "class_full" and "2 of 2 places" in error["fields"]["class_group"][0]
    assert not Enrollment.objects.filter(student=newcomer).exists()
    # and when the applicant withdraws, the place is free again
    applicant.status = "withdrawn"
    applicant.save(update_fields=["status"])  # (the transition's own effects are tested in registrar)
    response = integrator.post(
        "/api/v1/schools/greenfield/enrollments/",
        {"student_id": newcomer.pk, "term_id": term.pk, "class_group_id": group.pk},
    )
    assert response.status_code == 201
