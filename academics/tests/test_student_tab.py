"""academics' tabs of a pupil's record: Attendance (the term so far, for whoever may read a pupil's
attendance) and Results (the published report cards, for those who work with them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from academics.models import ReportCard
from academics.results.publishing import result_publish
from classpoint.models import AuditLog
from schools.tests import factories as f

from .factories import absent, submit
from .test_results_publishing import fill

pytestmark = pytest.mark.django_db


def url(student, tab):
    return f"/s/greenfield/students/{student.pk}/{tab}/"


def looks(student):
    return AuditLog.objects.filter(action="student.viewed", target_id=str(student.pk)).count()


# --- attendance ------------------------------------------------------------------------------------


def test_the_attendance_tab_shows_the_rate_and_the_latest_absences(
    school, officer, verified_client, group, pupils, attendance_term
):
    pupil = pupils[1]
    day = absent(school, group, pupil, 2, note="Hospital visit")
    submit(school, group, [{"student_id": pupil.pk, "code": "P"}], date=school.local_today())

    response = verified_client(officer).get(url(pupil, "attendance"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "50.0%" in body and "1 of 2 marked days at school" in body
    assert "Hospital visit" in body and f"{day:%a} {day.day} {day:%b}" in body
    assert f'href="/s/greenfield/attendance/students/{pupil.pk}/"' in body  # the full history
    assert looks(pupil) == 1


def test_a_teacher_without_view_attendance_neither_sees_nor_opens_the_attendance_tab(
    school, teacher, verified_client, pupil
):
    client = verified_client(teacher)
    assert client.get(url(pupil, "attendance")).status_code == 403
    assert url(pupil, "attendance") not in client.get(f"/s/greenfield/students/{pupil.pk}/").content.decode()
    assert looks(pupil) == 1  # the profile's look only


def test_another_schools_pupil_is_a_404_on_both_tabs(school, other_school, alice, verified_client):
    foreign = other_school.students.get()
    client = verified_client(alice)
    for tab in ("attendance", "results"):
        response = client.get(url(foreign, tab))
        assert response.status_code == 404 and b"RVCPupil" not in response.content


def test_the_attendance_tab_asks_the_same_number_of_queries_however_many_marks(
    school, officer, verified_client, group, pupils, attendance_term
):
    pupil = pupils[1]
    client = verified_client(officer)
    absent(school, group, pupil, 1)
    client.get(url(pupil, "attendance"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(pupil, "attendance")).status_code == 200
        return len(queries)

    few = count()
    for days_ago in range(2, 12):
        absent(
            school, group, pupil, days_ago, code="L" if days_ago % 2 else "A", minutes_late=5 if days_ago % 2 else None
        )
    assert count() == few


# --- results ------------------------------------------------------------------------------------------


@pytest.fixture
def published(school, alice, results):
    fill(results)
    result_publish(school=school, actor=alice, term=results.term)
    return results


def test_the_results_tab_lists_the_published_cards_and_the_latest_ones_subjects(
    school, alice, verified_client, published
):
    pupil = published.pupils[1]
    response = verified_client(alice).get(url(pupil, "results"))
    body = response.content.decode()
    assert response.status_code == 200
    term = published.term
    assert f"{term.name} {term.session.name}" in body and "Released" in body
    assert f'href="/s/greenfield/results/cards/{term.pk}/{pupil.pk}/"' in body
    assert "Mathematics" in body and "English Language" in body
    assert looks(pupil) == 1


def test_nothing_unpublished_shows_on_the_results_tab(school, alice, verified_client, results):
    fill(results)
    body = verified_client(alice).get(url(results.pupils[1], "results")).content.decode()
    assert "No report card published yet." in body and "Mathematics" not in body


def test_a_teacher_sees_the_results_tab_but_opens_only_their_form_classes_cards(
    school, teacher, verified_client, published
):
    pupil = published.pupils[1]
    client = verified_client(teacher)
    body = client.get(url(pupil, "results")).content.decode()
    assert url(pupil, "results") in body  # the tab: they enter scores
    assert f"/results/cards/{published.term.pk}/{pupil.pk}/" not in body and "Mathematics" not in body
    published.group.form_teacher = published.teacher_staff
    published.group.save()
    body = client.get(url(pupil, "results")).content.decode()
    assert f"/results/cards/{published.term.pk}/{pupil.pk}/" in body and "Mathematics" in body


def test_a_role_without_any_results_permission_gets_403(school, registrar, verified_client, published):
    pupil = published.pupils[1]
    client = verified_client(registrar)
    assert client.get(url(pupil, "results")).status_code == 403
    assert url(pupil, "results") not in client.get(f"/s/greenfield/students/{pupil.pk}/").content.decode()


def test_the_results_tab_asks_the_same_number_of_queries_however_many_terms(school, alice, verified_client, published):
    pupil = published.pupils[1]
    client = verified_client(alice)
    client.get(url(pupil, "results"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(pupil, "results")).status_code == 200
        return len(queries)

    few = count()
    for n in range(4):
        term = f.TermFactory(
            school=school,
            session=published.term.session,
            name=f"Old {n}",
            start_date=published.term.start_date.replace(year=2020 + n),
            end_date=published.term.end_date.replace(year=2020 + n),
            is_current=False,
        )
        ReportCard.objects.create(
            school=school, term=term, student=pupil, class_group=published.group, published_at=timezone.now()
        )
    assert count() == few
