"""The school-year pages: sessions and terms, class groups. Anyone who sees students may read them;
only `school.manage` changes anything; a refused form changes nothing; another school's ids are 404."""

import datetime

import pytest
from django.urls import reverse

from schools.models import AcademicSession, ClassGroup, Term
from schools.services.people import staff_create
from schools.tests import factories as f

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def admin(alice, verified_client):
    return verified_client(alice)


def url(name, *args):
    return reverse(name, args=["greenfield", *args])


# --- Reading ------------------------------------------------------------------------------------------


def test_the_overview_shows_the_current_term_and_links_to_subjects(school, admin):
    response = admin.get(url("school-year"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "First term</strong> of <strong>2026/2027" in body
    assert reverse("results-setup-subjects", args=["greenfield"]) in body
    assert reverse("year-rollover", args=["greenfield"]) in body


def test_a_teacher_reads_the_sessions_and_classes_without_any_form(school, teacher, client):
    client.force_login(teacher)
    sessions = client.get(url("year-sessions")).content.decode()
    classes = client.get(url("year-classes")).content.decode()
    assert "2026/2027" in sessions and "GFA JSS 1A" in classes
    assert "Add a session" not in sessions and "Make current" not in sessions and "Add a class" not in classes
    assert reverse("year-rollover", args=["greenfield"]) not in sessions


def test_a_teacher_cannot_add_a_session_or_a_class(school, teacher, client):
    client.force_login(teacher)
    first = client.post(
        url("year-sessions"), {"name": "2030/2031", "start_date": "2030-09-01", "end_date": "2031-07-01"}
    )
    second = client.post(url("year-classes"), {"name": "JSS 9Z", "level": "JSS 9", "capacity": "30"})
    assert (first.status_code, second.status_code) == (403, 403)
    assert (
        not school.sessions.filter(name="2030/2031").exists() and not school.class_groups.filter(name="JSS 9Z").exists()
    )


@pytest.mark.parametrize("name", ["year-term", "year-term-current", "year-session", "year-class", "year-class-delete"])
def test_a_teacher_gets_403_on_the_pages_that_change_things(school, teacher, client, name):
    client.force_login(teacher)
    pk = {
        "year-term": school.current_term().pk,
        "year-term-current": school.current_term().pk,
        "year-session": school.sessions.get().pk,
        "year-class": school.class_groups.get().pk,
        "year-class-delete": school.class_groups.get().pk,
    }[name]
    assert client.post(url(name, pk)).status_code == 403


def test_the_class_list_counts_pupils_this_term_in_constant_queries(school, admin, django_assert_max_num_queries):
    term = school.current_term()
    for n in range(6):
        group = f.ClassGroupFactory(school=school, name=f"JSS 2{'ABCDEF'[n]}", level="JSS 2", capacity=2)
        for k in range(2):
            f.enroll(f.StudentFactory(school=school, admission_number=f"Q/{n}/{k}"), term, group)
    admin.get(url("year-classes"))
    with django_assert_max_num_queries(14):
        response = admin.get(url("year-classes"))
    body = response.content.decode()
    assert body.count('<td data-label="Pupils">2 <span class="badge">Full</span>') == 6


# --- Sessions and terms -------------------------------------------------------------------------------


def test_an_admin_adds_a_session_then_its_term(school, admin):
    response = admin.post(
        url("year-sessions"), {"name": "2027/2028", "start_date": "2027-09-06", "end_date": "2028-07-21"}
    )
    session = school.sessions.get(name="2027/2028")
    assert response.status_code == 302 and response["Location"] == url("year-session", session.pk)
    response = admin.post(
        url("year-session-terms", session.pk),
        {"name": "First term", "start_date": "2027-09-06", "end_date": "2027-12-17"},
    )
    assert response.status_code == 302
    assert list(session.terms.values_list("name", "is_current")) == [("First term", False)]


def test_a_session_with_a_taken_name_is_refused_beside_the_name(school, admin):
    response = admin.post(
        url("year-sessions"), {"name": "2026/2027", "start_date": "2030-09-01", "end_date": "2031-07-01"}
    )
    assert response.status_code == 400
    assert "A session “2026/2027” already exists." in response.content.decode()
    assert school.sessions.count() == 1


def test_dates_out_of_order_are_refused_and_nothing_is_saved(school, admin):
    session = school.sessions.get()
    response = admin.post(
        url("year-session", session.pk), {"name": "Renamed", "start_date": "2026-09-07", "end_date": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The end date must be after the start date." in response.content.decode()
    session.refresh_from_db()
    assert session.name == "2026/2027"


def test_a_term_is_renamed_on_its_page(school, admin):
    term = school.current_term()
    response = admin.post(
        url("year-term", term.pk), {"name": "Autumn term", "start_date": "2026-09-07", "end_date": "2026-12-18"}
    )
    assert response.status_code == 302
    term.refresh_from_db()
    assert term.name == "Autumn term" and term.is_current


def test_a_second_term_with_the_same_name_is_refused(school, admin):
    session = school.sessions.get()
    response = admin.post(
        url("year-session-terms", session.pk),
        {"name": "First term", "start_date": "2027-01-05", "end_date": "2027-04-01"},
    )
    assert response.status_code == 400
    assert "“First term” already exists in 2026/2027." in response.content.decode()
    assert session.terms.count() == 1


def test_making_a_term_current_makes_its_session_current(school, admin):
    following = f.SessionFactory(
        school=school, name="2027/2028", start_date=D(2027, 9, 6), end_date=D(2028, 7, 21), is_current=False
    )
    term = f.TermFactory(
        school=school, session=following, start_date=D(2027, 9, 6), end_date=D(2027, 12, 17), is_current=False
    )
    response = admin.post(url("year-term-current", term.pk))
    assert response.status_code == 302
    assert school.current_term() == term
    assert AcademicSession.objects.get(school=school, is_current=True) == following
    page = admin.get(url("year-sessions")).content.decode()
    assert "First term of 2027/2028 is now the current term" in page


# --- Classes ------------------------------------------------------------------------------------------


def test_an_admin_adds_a_class_with_a_form_teacher(school, admin, alice):
    teacher = f.member(school, "teacher", email="tola@greenfield.test")
    staff = staff_create(
        school=school, actor=alice, first_name="Tola", last_name="Ade", email="tola@greenfield.test", user=teacher
    )
    response = admin.post(
        url("year-classes"), {"name": "JSS 2A", "level": "JSS 2", "capacity": "35", "form_teacher": str(staff.pk)}
    )
    assert response.status_code == 302
    group = school.class_groups.get(name="JSS 2A")
    assert (group.level, group.capacity, group.form_teacher) == ("JSS 2", 35, staff)


def test_another_schools_teacher_cannot_be_a_form_teacher(school, other_school, admin, alice):
    theirs = staff_create(
        school=other_school, actor=None, first_name="Other", last_name="Teacher", email="o@riverside.test"
    )
    response = admin.post(
        url("year-classes"), {"name": "JSS 2A", "level": "JSS 2", "capacity": "35", "form_teacher": str(theirs.pk)}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not school.class_groups.filter(name="JSS 2A").exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "GFA JSS 1A", "level": "JSS 1", "capacity": "30"}, "A class “GFA JSS 1A” already exists."),
        ({"name": "JSS 2A", "level": "JSS 2", "capacity": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"name": "JSS 2A", "level": "JSS 2", "capacity": "501"}, "Ensure this value is less than or equal to 500."),
        ({"name": "", "level": "JSS 2", "capacity": "30"}, "This field is required."),
    ],
)
def test_a_refused_class_shows_why_and_saves_nothing(school, admin, data, error):
    before = ClassGroup.objects.filter(school=school).count()
    response = admin.post(url("year-classes"), {**data, "form_teacher": ""})
    assert response.status_code == 400 and error in response.content.decode()
    assert ClassGroup.objects.filter(school=school).count() == before


def test_a_class_is_edited_on_its_page(school, admin):
    group = school.class_groups.get()
    response = admin.post(
        url("year-class", group.pk), {"name": "JSS 1 Gold", "level": "JSS 1", "capacity": "25", "form_teacher": ""}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.capacity) == ("JSS 1 Gold", 25)


def test_an_unused_class_is_deleted_and_a_used_one_is_kept(school, admin):
    spare = f.ClassGroupFactory(school=school, name="JSS 9Z")
    used = school.class_groups.get(name="GFA JSS 1A")
    page = admin.get(url("year-class", used.pk)).content.decode()
    assert "it is used by 1 enrollment" in page and "Delete GFA JSS 1A</button>" not in page
    response = admin.post(url("year-class-delete", spare.pk))
    assert response.status_code == 302 and not ClassGroup.objects.filter(pk=spare.pk).exists()
    refused = admin.post(url("year-class-delete", used.pk))
    assert refused.status_code == 400 and "cannot be deleted" in refused.content.decode()
    assert ClassGroup.objects.filter(pk=used.pk).exists()


# --- Another school's ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["year-session", "year-session-terms", "year-term", "year-term-current", "year-class", "year-class-delete"]
)
def test_another_schools_ids_are_404(school, other_school, admin, name):
    ids = {
        "year-session": other_school.sessions.get().pk,
        "year-session-terms": other_school.sessions.get().pk,
        "year-term": other_school.current_term().pk,
        "year-term-current": other_school.current_term().pk,
        "year-class": other_school.class_groups.get().pk,
        "year-class-delete": other_school.class_groups.get().pk,
    }
    before = (
        list(Term.objects.filter(school=other_school).values()),
        list(ClassGroup.objects.filter(school=other_school).values()),
    )
    assert admin.get(url(name, ids[name])).status_code in (404, 405)
    assert admin.post(url(name, ids[name]), {"name": "Stolen", "level": "X", "capacity": "5"}).status_code == 404
    after = (
        list(Term.objects.filter(school=other_school).values()),
        list(ClassGroup.objects.filter(school=other_school).values()),
    )
    assert after == before


def test_a_member_of_another_school_gets_404_on_the_year_pages(school, charlie, verified_client):
    client = verified_client(charlie)
    for name in ("school-year", "year-sessions", "year-classes", "year-rollover"):
        assert client.get(url(name)).status_code == 404
