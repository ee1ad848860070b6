import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.models import ScheduleSlot, SlotSeat
from schools.tests import factories as f

from .factories import application, slot, staff

pytestmark = pytest.mark.django_db
BASE = "/s/greenfield/timetable/"


@pytest.fixture
def group(school):
    return school.class_groups.get(name="GFA JSS 1A")


@pytest.fixture
def ada(school):
    return staff(school, "Ada", "Obi")


def form(school, group, **extra):
    return {
        "term": school.current_term().pk,
        "class_group": group.pk,
        "subject": "Mathematics",
        "teacher": "",
        "weekday": "1",
        "start_time": "09:00",
        "end_time": "10:00",
        "room": "",
        "capacity": "",
        **extra,
    }


def test_the_week_grid_shows_each_lesson_in_its_day_and_period(school, alice, verified_client, group, ada):
    slot(school, teacher=ada, room="Lab 1")
    slot(school, subject="English", weekday=3, start="10:00", end="11:00")
    page = verified_client(alice).get(BASE)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="col">Monday</th>' in html and '<th scope="row">09:00–10:00</th>' in html
    assert "Mathematics" in html and "Ada Obi" in html and "Room Lab 1" in html and "No teacher yet" in html
    assert "Saturday" not in html  # no weekend lessons, no weekend columns
    assert ">Timetable</a>" in html and 'aria-current="page">Timetable' in html
    # An empty period offers "Add" with the day and time filled in.
    assert f"/timetable/slots/new/?term={school.current_term().pk}&amp;class_group={group.pk}&amp;weekday=2" in html


def test_the_grid_takes_the_same_queries_however_many_lessons(school, alice, verified_client, group):
    client = verified_client(alice)
    slot(school)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE).status_code == 200
        return len(captured)

    few = queries()
    teachers = [staff(school, "T", str(n)) for n in range(5)]
    for day in range(1, 6):
        for hour in range(10, 14):
            lesson = slot(
                school, weekday=day, start=f"{hour}:00", end=f"{hour}:45", teacher=teachers[day - 1], room=f"R{hour}"
            )
            SlotSeat.objects.create(school=school, slot=lesson, application=application(school))
    assert queries() == few


def test_a_teachers_week_spans_their_classes(school, alice, verified_client, ada):
    slot(school, teacher=ada)
    slot(
        school,
        teacher=ada,
        class_group=f.ClassGroupFactory(school=school, name="JSS 3C"),
        subject="Physics",
        weekday=6,
        start="08:00",
        end="09:00",
    )
    html = verified_client(alice).get(f"{BASE}teachers/?teacher={ada.pk}").content.decode()
    assert "Timetable: Ada Obi" in html and "GFA JSS 1A" in html and "JSS 3C" in html
    assert '<th scope="col">Saturday</th>' in html and "2 lessons a week" in html


def test_teachers_read_the_timetable_without_edit_links(school, teacher, verified_client, group):
    lesson = slot(school)
    client = verified_client(teacher)
    html = client.get(BASE).content.decode()
    assert "Mathematics" in html and "/slots/new/" not in html and f"/slots/{lesson.pk}/" not in html
    assert client.get(f"{BASE}slots/new/").status_code == 403
    assert client.post(f"{BASE}slots/{lesson.pk}/delete/").status_code == 403


def test_admin_adds_a_lesson_with_the_form(school, alice, verified_client, group, ada):
    client = verified_client(alice)
    assert client.get(f"{BASE}slots/new/?weekday=2&start_time=11:00").status_code == 200
    response = client.post(f"{BASE}slots/new/", form(school, group, teacher=ada.pk, room="Lab 1"))
    lesson = ScheduleSlot.objects.for_school(school).get()
    assert response.status_code == 302
    assert response.url == f"{BASE}?term={lesson.term_id}&class_group={group.pk}"
    assert (lesson.teacher, lesson.room) == (ada, "Lab 1")


def test_a_clash_on_save_shows_who_and_which_slot_and_saves_nothing(school, alice, verified_client, group, ada):
    slot(school, teacher=ada)
    other = f.ClassGroupFactory(school=school, name="JSS 2B")
    data = form(school, other, teacher=ada.pk, start_time="09:30", end_time="10:30")
    response = verified_client(alice).post(f"{BASE}slots/new/", data)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00." in html
    assert "Nothing was saved" in html
    assert ScheduleSlot.objects.for_school(school).count() == 1


def test_check_for_clashes_works_without_javascript(school, alice, verified_client, group, ada):
    slot(school, teacher=ada)
    client = verified_client(alice)
    other = f.ClassGroupFactory(school=school, name="JSS 2B")
    clash = client.post(f"{BASE}slots/new/", {**form(school, other, teacher=ada.pk), "check": "1"})
    assert clash.status_code == 200 and "Ada Obi already teaches" in clash.content.decode()
    free = client.post(f"{BASE}slots/new/", {**form(school, other, weekday="2"), "check": "1"})
    assert "No clashes" in free.content.decode()
    assert ScheduleSlot.objects.for_school(school).count() == 1


def test_the_inline_preview_answers_as_fields_change(school, alice, verified_client, group, ada):
    taken = slot(school, teacher=ada, room="Lab 1")
    client = verified_client(alice)
    page = client.get(f"{BASE}slots/new/").content.decode()
    assert 'hx-post="/s/greenfield/timetable/conflicts/"' in page and 'hx-trigger="change"' in page
    data = form(school, f.ClassGroupFactory(school=school), room="Lab 1", start_time="09:15", end_time="09:45")
    fragment = client.post(f"{BASE}conflicts/", data, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert "Room Lab 1 is taken by GFA JSS 1A Mathematics on Monday 09:00–10:00." in html
    half_filled = client.post(f"{BASE}conflicts/", {"weekday": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Choose the term, day and times" in half_filled
    # Editing a slot: it does not clash with itself.
    itself = client.post(f"{BASE}conflicts/?slot={taken.pk}", form(school, group, teacher=ada.pk, room="Lab 1"))
    assert "No clashes" in itself.content.decode()


def test_admin_assigns_a_teacher_on_the_edit_form(school, alice, verified_client, group, ada):
    lesson = slot(school)
    client = verified_client(alice)
    page = client.get(f"{BASE}slots/{lesson.pk}/").content.decode()
    assert "Edit GFA JSS 1A Mathematics" in page and 'value="09:00"' in page
    response = client.post(f"{BASE}slots/{lesson.pk}/", form(school, group, teacher=ada.pk))
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.teacher == ada


def test_bad_input_on_the_form_is_a_field_error(school, alice, verified_client, group):
    response = verified_client(alice).post(
        f"{BASE}slots/new/", form(school, group, start_time="10:00", end_time="09:00")
    )
    assert response.status_code == 400
    assert "The lesson must end after it starts (10:00)." in response.content.decode()
    assert not ScheduleSlot.objects.exists()


def test_delete_from_the_edit_page_and_refusal_while_seats_are_taken(school, alice, verified_client, group):
    client = verified_client(alice)
    busy, empty = slot(school), slot(school, weekday=2)
    SlotSeat.objects.create(school=school, slot=busy, application=application(school))
    refused = client.post(f"{BASE}slots/{busy.pk}/delete/", follow=True)
    assert "1 seat is taken in GFA JSS 1A Mathematics" in refused.content.decode()
    assert client.post(f"{BASE}slots/{empty.pk}/delete/").status_code == 302
    assert list(ScheduleSlot.objects.for_school(school).values_list("pk", flat=True)) == [busy.pk]


def test_another_schools_slot_class_or_term_is_404(school, other_school, alice, verified_client):
    theirs = slot(other_school)
    client = verified_client(alice)
    assert client.get(f"{BASE}slots/{theirs.pk}/").status_code == 404
    assert client.post(f"{BASE}slots/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"{BASE}conflicts/?slot={theirs.pk}", {}).status_code == 404
    assert client.get(f"{BASE}?class_group={theirs.class_group_id}").status_code == 404
    assert client.get(f"{BASE}?term={theirs.term_id}").status_code == 404
    assert client.get(f"{BASE}teachers/?teacher={staff(other_school).pk}").status_code == 404
    assert ScheduleSlot.objects.filter(pk=theirs.pk).exists()


def test_outsiders_get_404(school, other_school, charlie, verified_client):
    assert verified_client(charlie).get(BASE).status_code == 404


def test_existing_school_admin_roles_get_the_timetable_permission():
    import importlib

    from django.apps import apps

    from schools.models import Role

    migration = importlib.import_module("academics.migrations.0004_manage_timetable_permission")
    school = f.provision("oldschool")
    role = Role.objects.for_school(school).get(key="school_admin")
    role.permissions = [code for code in role.permissions if code != "academics.manage_timetable"]
    role.save()
    migration.grant(apps, None)
    role.refresh_from_db()
    assert "academics.manage_timetable" in role.permissions
    assert "academics.manage_timetable" not in Role.objects.for_school(school).get(key="teacher").permissions
