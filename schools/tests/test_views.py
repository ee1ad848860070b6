import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog
from schools.models import Enrollment, Student

pytestmark = pytest.mark.django_db


def _add_students(school, n, start=0):
    term = school.current_term()
    group = school.class_groups.first()
    students = Student.objects.bulk_create(
        [
            Student(
                school=school, admission_number=f"B{start + i}", first_name=f"Kid{i}", last_name=f"Zz{start + i:04d}"
            )
            for i in range(n)
        ]
    )
    Enrollment.objects.bulk_create(
        [Enrollment(school=school, student=s, term=term, class_group=group) for s in students]
    )


def test_students_list_query_count_does_not_grow_with_rows(school, alice, verified_client):
    client = verified_client(alice)
    _add_students(school, 5)
    client.get("/s/greenfield/students/")  # first request of a session does one-off work
    with CaptureQueriesContext(connection) as few:
        assert client.get("/s/greenfield/students/").status_code == 200
    _add_students(school, 60, start=100)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/s/greenfield/students/")
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 12


def test_students_search_filter_and_htmx_fragment(school, alice, verified_client):
    client = verified_client(alice)
    _add_students(school, 3)
    page = client.get("/s/greenfield/students/?q=GFAPupil")
    assert b"GFAPupil" in page.content and b"Kid0" not in page.content
    assert b"<html" in page.content
    fragment = client.get("/s/greenfield/students/?q=kid", HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and b"Kid0" in fragment.content
    assert "HX-Request" in fragment["Vary"]
    by_class = client.get(f"/s/greenfield/students/?class_group={school.class_groups.first().pk}&status=active")
    assert by_class.context["page"].paginator.count == 4


def test_students_list_paginates(school, alice, verified_client):
    _add_students(school, 30)
    response = verified_client(alice).get("/s/greenfield/students/?page=2")
    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 31 - 25


def test_student_detail_shows_guardians_and_records_the_look(school, alice, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    response = verified_client(alice).get(f"/s/greenfield/students/{student.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Primary contact" in body and "GFA JSS 1A" in body
    assert AuditLog.objects.filter(action="student.viewed", target_id=str(student.pk), actor=alice).count() == 1
    assert alice.username in body  # the access history lists this very look


def test_other_schools_student_id_is_404(school, other_school, alice, verified_client):
    foreign = other_school.students.first()
    response = verified_client(alice).get(f"/s/greenfield/students/{foreign.pk}/")
    assert response.status_code == 404
    assert b"RVCPupil" not in response.content


def test_anonymous_is_sent_to_sign_in(school, client):
    response = client.get("/s/greenfield/students/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_school_home_and_switcher(school, other_school, alice, verified_client):
    from schools.services import membership_grant

    membership_grant(school=other_school, user=alice, role_key="viewer")
    response = verified_client(alice).get("/s/greenfield/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="school-switcher"' in body and "Riverside College" in body
    assert 'href="#main"' in body  # skip link
    switched = verified_client(alice).get("/?school=riverside")
    assert switched.status_code == 302 and switched["Location"] == "/s/riverside/"
    assert verified_client(alice).get("/?school=nowhere").status_code == 200  # not a member: the list


def test_suspended_school_is_closed(school, alice, verified_client):
    school.status = "suspended"
    school.save()
    response = verified_client(alice).get("/s/greenfield/students/")
    assert response.status_code == 403 and b"suspended" in response.content
