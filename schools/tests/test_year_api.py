"""What the school-year work added to the API: deleting an unused class group, and a term made
current through the API bringing its session with it (the same services as the pages)."""

import datetime

import pytest
from rest_framework.test import APIClient

from schools.models import AcademicSession, ClassGroup
from schools.services.schools import api_token_create
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
API = "/api/v1/schools/greenfield/"


@pytest.fixture
def manager(school, api):
    token = api_token_create(school=school, name="Timetabler", role_key="school_admin")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_an_unused_class_group_is_deleted_through_the_api(school, manager):
    spare = f.ClassGroupFactory(school=school, name="JSS 9Z")
    response = manager.delete(f"{API}class-groups/{spare.pk}/")
    assert response.status_code == 204 and not ClassGroup.objects.filter(pk=spare.pk).exists()


def test_a_class_group_with_a_history_is_not_deleted_through_the_api(school, manager):
    used = school.class_groups.get()
    response = manager.delete(f"{API}class-groups/{used.pk}/")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "class_in_use" and "1 enrollment" in error["fields"]["class_group"][0]
    assert ClassGroup.objects.filter(pk=used.pk).exists()


def test_deleting_a_class_group_needs_school_manage_and_another_schools_is_404(school, other_school, manager):
    theirs = other_school.class_groups.get()
    assert manager.delete(f"{API}class-groups/{theirs.pk}/").status_code == 404
    assert ClassGroup.objects.filter(pk=theirs.pk).exists()
    registrar = APIClient()
    token = api_token_create(school=school, name="SIS sync", role_key="registrar")
    registrar.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    spare = f.ClassGroupFactory(school=school, name="JSS 9Y")
    assert registrar.delete(f"{API}class-groups/{spare.pk}/").status_code == 403
    assert ClassGroup.objects.filter(pk=spare.pk).exists()


def test_a_term_made_current_through_the_api_makes_its_session_current(school, manager):
    following = f.SessionFactory(
        school=school,
        name="2027/2028",
        start_date=datetime.date(2027, 9, 6),
        end_date=datetime.date(2028, 7, 21),
        is_current=False,
    )
    term = f.TermFactory(
        school=school,
        session=following,
        start_date=datetime.date(2027, 9, 6),
        end_date=datetime.date(2027, 12, 17),
        is_current=False,
    )
    response = manager.patch(f"{API}terms/{term.pk}/", {"is_current": True}, format="json")
    assert response.status_code == 200 and response.json()["is_current"] is True
    assert AcademicSession.objects.get(school=school, is_current=True) == following
    assert school.terms.filter(is_current=True).count() == 1
