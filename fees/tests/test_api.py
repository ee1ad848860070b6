import datetime

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def bursar_api(school, bursar, api):
    api.force_authenticate(bursar)
    return api


def test_bursar_sets_up_fees_and_issues_an_invoice_over_the_api(school, bursar_api):
    base = "/api/v1/schools/greenfield"
    item = bursar_api.post(f"{base}/fee-items/", {"code": "tuition", "name": "Tuition", "default_amount_minor": 100})
    assert item.status_code == 201, item.json()
    term, group = school.current_term(), school.class_groups.get()
    due = (school.local_today() + datetime.timedelta(days=30)).isoformat()  # still ahead: the invoice keeps it
    schedule = bursar_api.post(
        f"{base}/fee-schedules/",
        {
            "name": "JSS 1",
            "term_id": term.pk,
            "class_group_id": group.pk,
            "lines": [{"fee_item_id": item.json()["id"], "amount_minor": 5_000_000, "due_date": due}],
        },
    )
    assert schedule.status_code == 201, schedule.json()
    student = school.students.get(admission_number="GFA/0001")
    invoice = bursar_api.post(
        f"{base}/invoices/", {"student_id": student.pk, "term_id": term.pk, "issue": True}, HTTP_IDEMPOTENCY_KEY="inv-1"
    )
    assert invoice.status_code == 201, invoice.json()
    body = invoice.json()
    assert body["number"].startswith("INV-") and body["balance_minor"] == 5_000_000 and body["due_date"] == due
    replay = bursar_api.post(
        f"{base}/invoices/", {"student_id": student.pk, "term_id": term.pk, "issue": True}, HTTP_IDEMPOTENCY_KEY="inv-1"
    )
    assert replay.json() == body
    listed = bursar_api.get(f"{base}/invoices/?status=issued&q=gfapupil").json()
    assert listed["count"] == 1
    void = bursar_api.post(f"{base}/invoices/{body['id']}/void/", {"reason": ""})
    assert void.status_code == 400 and "reason" in void.json()["error"]["fields"]
    void = bursar_api.post(f"{base}/invoices/{body['id']}/void/", {"reason": "wrong term"})
    assert void.json()["status"] == "void"


def test_invoice_for_a_student_without_class_is_a_field_error(school, bursar_api):
    from schools.models import Student

    loner = Student.objects.create(school=school, admission_number="L1", first_name="L", last_name="One")
    response = bursar_api.post(
        "/api/v1/schools/greenfield/invoices/", {"student_id": loner.pk, "term_id": school.current_term().pk}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_class_group"


def test_teacher_cannot_see_fees(school, teacher, api):
    api.force_authenticate(teacher)
    assert api.get("/api/v1/schools/greenfield/invoices/").status_code == 403


def test_other_schools_invoice_is_404(school, other_school, bursar_api):
    from fees.models import Invoice

    foreign_student = other_school.students.first()
    invoice = Invoice.objects.create(
        school=other_school, student=foreign_student, term=other_school.current_term(), currency="NGN"
    )
    assert bursar_api.get(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/").status_code == 404
    assert bursar_api.post(f"/api/v1/schools/greenfield/invoices/{invoice.pk}/issue/").status_code == 404


def test_schema_describes_lists_as_the_paginated_envelope_they_return(api, alice):
    api.force_authenticate(alice)
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/schools/{school_slug}/invoices/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"count", "next", "previous", "results"} <= set(envelope["properties"])
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}
