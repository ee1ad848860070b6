"""The rollover page: the dry run first, edits shown before they are done, a confirm that does exactly
the dry run on the page, and a second confirm that changes nothing and says so."""

import re

import pytest
from django.urls import reverse

from schools.models import Rollover, Student
from schools.tests import factories as f
from schools.tests.rollover_setup import end_of_session

pytestmark = pytest.mark.django_db
URL = "/s/greenfield/year/rollover/"


@pytest.fixture
def year(school, other_school):
    end_of_session(other_school, prefix="R")
    return end_of_session(school)


@pytest.fixture
def admin(alice, verified_client):
    return verified_client(alice)


def form_data(html):
    """What the page's rollover form would post as it stands: every input's value and every select's
    chosen option."""
    form = html[html.index('id="rollover-form"') : html.index("</form>", html.index('id="rollover-form"'))]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name and "csrfmiddlewaretoken" not in tag:
            value = re.search(r'value="([^"]*)"', tag)
            data[name[1]] = value[1] if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, flags=re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen[1] if chosen else ""
    return data


def test_opening_the_page_shows_the_dry_run_of_the_default_plan(year, school, admin):
    response = admin.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dry run: what the rollover will do" in body
    assert "3 promoted to JSS 2A" in body and "2 graduating" in body
    assert "No problems: the rollover can be confirmed." in body
    assert 'value="2027/2028"' in body and 'value="2027-09-06"' in body
    # nothing was written by looking
    assert not Rollover.objects.exists() and school.sessions.count() == 1


def test_the_dry_run_page_reads_the_roll_in_a_bounded_number_of_queries(
    year, school, admin, django_assert_max_num_queries
):
    admin.get(URL)
    with django_assert_max_num_queries(20):
        admin.get(URL)
    # as many again pupils and classes cost no more queries
    for n in range(12):
        pupil = f.StudentFactory(school=school, admission_number=f"MORE/{n}")
        f.enroll(pupil, year.third, year.classes[["JSS 1A", "JSS 2B"][n % 2]])
    with django_assert_max_num_queries(20):
        response = admin.get(URL)
    assert "9 promoted to JSS 2A" in response.content.decode()


def test_an_edited_mapping_is_shown_in_the_dry_run_before_it_is_done(year, school, admin):
    data = form_data(admin.get(URL).content.decode())
    data[f"map-{year.classes['JSS 1A'].pk}"] = str(year.classes["JSS 2B"].pk)
    response = admin.post(URL, {**data, "action": "preview"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "3 promoted to JSS 2B" in body
    assert not Rollover.objects.exists()


def test_confirming_the_dry_run_rolls_the_school_over(year, school, admin):
    data = form_data(admin.get(URL).content.decode())
    leaver = year.pupils["JSS 1B"][0]
    data |= {f"pupil-{leaver.pk}": "leave", f"reason-{leaver.pk}": "Relocated"}
    preview = admin.post(URL, {**data, "action": "preview"}).content.decode()
    response = admin.post(URL, {**form_data(preview), "action": "confirm"})
    assert response.status_code == 302 and response["Location"] == reverse("school-year", args=["greenfield"])
    term = school.current_term()
    assert (term.name, term.session.name) == ("First term", "2027/2028")
    leaver.refresh_from_db()
    assert leaver.status == Student.Status.WITHDRAWN and leaver.leaving_reason == "Relocated"
    page = admin.get(reverse("school-year", args=["greenfield"])).content.decode()
    assert "Rolled over into 2027/2028: 10 promoted, 0 repeating, 2 graduated, 1 left." in page
    assert "First term</strong> of <strong>2027/2028" in page


def test_a_confirm_with_a_mapping_changed_after_the_dry_run_shows_the_new_dry_run_instead(year, school, admin):
    data = form_data(admin.get(URL).content.decode())
    data[f"map-{year.classes['JSS 1A'].pk}"] = str(year.classes["JSS 2B"].pk)
    response = admin.post(URL, {**data, "action": "confirm"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "The roll has changed since this dry run" in body and "3 promoted to JSS 2B" in body
    assert not Rollover.objects.exists() and school.current_term() == year.third
    # confirming the dry run now shown does it
    assert admin.post(URL, {**form_data(body), "action": "confirm"}).status_code == 302
    assert school.enrollments.filter(
        student=year.pupils["JSS 1A"][0], term=school.current_term(), class_group__name="JSS 2B"
    ).exists()


def test_a_leaver_without_a_reason_is_a_field_error(year, school, admin):
    data = form_data(admin.get(URL).content.decode())
    leaver = year.pupils["JSS 1B"][0]
    data[f"pupil-{leaver.pk}"] = "leave"
    response = admin.post(URL, {**data, "action": "confirm"})
    assert response.status_code == 400
    assert f"Say why {leaver} is leaving." in response.content.decode()
    assert not Rollover.objects.exists()


def test_a_class_over_its_places_offers_no_confirm(year, school, admin):
    year.classes["JSS 3A"].capacity = 3
    year.classes["JSS 3A"].save()
    body = admin.get(URL).content.decode()
    assert "JSS 3A would hold 5 pupils but has 3 places" in body
    assert 'value="confirm"' not in body
    response = admin.post(URL, {**form_data(body), "action": "confirm"})
    assert response.status_code == 200 and not Rollover.objects.exists()


def test_a_second_confirm_changes_nothing_and_says_so(year, school, admin):
    data = form_data(admin.get(URL).content.decode())
    assert admin.post(URL, {**data, "action": "confirm"}).status_code == 302
    enrollments = list(school.enrollments.order_by("pk").values_list("pk", "status", "class_group_id"))
    # the same form, posted again (a second tab, a double click)
    response = admin.post(URL, {**data, "action": "confirm"}, follow=True)
    body = response.content.decode()
    assert "2026/2027 was already rolled over into 2027/2028" in body and "nothing changed" in body
    assert Rollover.objects.filter(school=school).count() == 1
    assert list(school.enrollments.order_by("pk").values_list("pk", "status", "class_group_id")) == enrollments


def test_the_page_says_why_it_is_closed_before_the_last_term(school, admin):
    f.TermFactory(school=school, session=school.sessions.get(), name="Second term", is_current=False)
    body = admin.get(URL).content.decode()
    assert "The rollover opens in 2026/2027" in body and 'id="rollover-form"' not in body


def test_a_teacher_cannot_open_the_rollover(year, school, teacher, client):
    client.force_login(teacher)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "confirm"}).status_code == 403


def test_posting_another_schools_pupils_and_classes_changes_nothing_there(year, school, other_school, admin):
    data = form_data(admin.get(URL).content.decode())
    theirs = other_school.students.filter(status="active").first()
    their_class = other_school.class_groups.first()
    data |= {
        f"pupil-{theirs.pk}": "leave",
        f"reason-{theirs.pk}": "Stolen",
        f"map-{year.classes['JSS 1A'].pk}": str(their_class.pk),
    }
    response = admin.post(URL, {**data, "action": "confirm"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == "active" and not Rollover.objects.exists()


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "0001-01-01", "9999-12-31", "1e400", "nul"])
def test_hostile_values_in_any_field_are_refused_without_a_500(year, school, admin, value):
    data = form_data(admin.get(URL).content.decode())
    # one field of each shape (map-12 stands for every map-N), the rest as the page filled them
    shapes = {re.sub(r"\d+", "N", name): name for name in data}
    # a reason is read only for a leaver, and the session rolled from is the school's own: a junk
    # value there leaves the plan as it was, and the confirm would rightly go through
    harmless = {"reason-N", "from_session"}
    for shape, name in shapes.items():
        preview = admin.post(URL, {**data, name: value, "action": "preview"})
        assert preview.status_code < 500, (name, value)
        if shape not in harmless:
            confirm = admin.post(URL, {**data, name: value, "action": "confirm"})
            assert confirm.status_code in (200, 400, 409), (name, value, confirm.status_code)
    assert not Rollover.objects.exists()
