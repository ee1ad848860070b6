import threading

import pytest
from rest_framework.test import APIClient

from academics.models import ScheduleSlot, SlotSeat
from classpoint.testing import run_concurrently
from schools.tests import factories as f

from .factories import application, slot, staff

pytestmark = pytest.mark.django_db
BASE = "/api/v1/schools/greenfield/schedule-slots/"


@pytest.fixture
def admin_api(school, alice, api):
    api.force_authenticate(alice)
    return api


@pytest.fixture
def ada(school):
    return staff(school, "Ada", "Obi")


def body(school, **extra):
    return {
        "term_id": school.current_term().pk,
        "class_group_id": school.class_groups.get(name="GFA JSS 1A").pk,
        "subject": "Mathematics",
        "weekday": 1,
        "start_time": "09:00",
        "end_time": "10:00",
        **extra,
    }


def test_admin_builds_the_timetable_over_the_api(school, admin_api, ada):
    created = admin_api.post(BASE, body(school, teacher_id=ada.pk, room="Lab 1"), format="json")
    assert created.status_code == 201, created.json()
    slot_json = created.json()
    assert slot_json | {"id": 0} == {
        "id": 0,
        "term_id": school.current_term().pk,
        "class_group_id": slot_json["class_group_id"],
        "class_group": "GFA JSS 1A",
        "subject": "Mathematics",
        "teacher_id": ada.pk,
        "teacher": "Ada Obi",
        "weekday": 1,
        "weekday_name": "Monday",
        "start_time": "09:00",
        "end_time": "10:00",
        "room": "Lab 1",
        "capacity": None,
        "seats": 40,
        "seats_taken": 0,
    }
    url = f"{BASE}{slot_json['id']}/"
    assert admin_api.get(url).json() == slot_json
    moved = admin_api.patch(url, {"weekday": 2, "teacher_id": None, "capacity": 25}, format="json")
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["weekday_name"], moved.json()["teacher"], moved.json()["seats"]) == ("Tuesday", None, 25)
    assert admin_api.delete(url).status_code == 204
    assert admin_api.get(url).status_code == 404


def test_list_filters_and_keeps_a_stable_order(school, admin_api, ada):
    other_group = f.ClassGroupFactory(school=school, name="JSS 2B")
    tuesday = slot(school, weekday=2, teacher=ada)
    monday = slot(school, weekday=1, class_group=other_group)
    listed = admin_api.get(BASE).json()
    assert listed["count"] == 2 and [s["id"] for s in listed["results"]] == [monday.pk, tuesday.pk]
    assert [s["id"] for s in admin_api.get(f"{BASE}?teacher={ada.pk}").json()["results"]] == [tuesday.pk]
    assert [s["id"] for s in admin_api.get(f"{BASE}?class_group={other_group.pk}").json()["results"]] == [monday.pk]
    assert [s["id"] for s in admin_api.get(f"{BASE}?weekday=2").json()["results"]] == [tuesday.pk]
    assert admin_api.get(f"{BASE}?term={school.current_term().pk}").json()["count"] == 2
    assert admin_api.get(f"{BASE}?weekday=9").status_code == 400


def test_a_clash_is_409_with_who_and_which_slot_per_field(school, admin_api, ada):
    slot(school, teacher=ada)
    other_group = f.ClassGroupFactory(school=school, name="JSS 2B")
    response = admin_api.post(
        BASE,
        body(school, class_group_id=other_group.pk, teacher_id=ada.pk, start_time="09:30", end_time="10:30"),
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "conflict",
            "message": "Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00.",
            "fields": {"teacher_id": ["Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00."]},
        }
    }
    assert ScheduleSlot.objects.for_school(school).count() == 1


def test_assigning_a_busy_teacher_by_patch_is_409(school, admin_api, ada):
    slot(school, teacher=ada)
    free = slot(school, class_group=f.ClassGroupFactory(school=school, name="JSS 2B"))
    response = admin_api.patch(f"{BASE}{free.pk}/", {"teacher_id": ada.pk}, format="json")
    assert response.status_code == 409 and list(response.json()["error"]["fields"]) == ["teacher_id"]


def test_bad_input_is_400_with_field_errors(school, other_school, admin_api):
    response = admin_api.post(BASE, body(school, start_time="10:00", end_time="09:00", weekday=8), format="json")
    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == ["weekday"]  # the serializer answers first
    response = admin_api.post(BASE, body(school, start_time="10:00", end_time="09:00"), format="json")
    assert response.json()["error"]["fields"] == {"end_time": ["The lesson must end after it starts (10:00)."]}
    foreign = admin_api.post(BASE, body(school, class_group_id=other_school.class_groups.first().pk), format="json")
    assert foreign.status_code == 400
    assert foreign.json()["error"]["fields"] == {"class_group_id": ["Not found in this school."]}
    assert not ScheduleSlot.objects.exists()


def test_idempotency_key_replays_and_refuses_another_body(school, admin_api):
    first = admin_api.post(BASE, body(school), format="json", HTTP_IDEMPOTENCY_KEY="slot-1")
    replay = admin_api.post(BASE, body(school), format="json", HTTP_IDEMPOTENCY_KEY="slot-1")
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    other = admin_api.post(BASE, body(school, weekday=3), format="json", HTTP_IDEMPOTENCY_KEY="slot-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert ScheduleSlot.objects.for_school(school).count() == 1


def test_conflicts_endpoint_previews_without_saving(school, admin_api, ada):
    taken = slot(school, teacher=ada, room="Lab 1")
    check = {
        "term_id": school.current_term().pk,
        "weekday": 1,
        "start_time": "09:15",
        "end_time": "09:45",
        "teacher_id": ada.pk,
        "room": "Lab 1",
    }
    response = admin_api.post(f"{BASE}conflicts/", check, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "conflicts": [
            {
                "kind": "teacher",
                "message": "Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00.",
                "slot_id": taken.pk,
            },
            {
                "kind": "room",
                "message": "Room Lab 1 is taken by GFA JSS 1A Mathematics on Monday 09:00–10:00.",
                "slot_id": taken.pk,
            },
        ]
    }
    itself = admin_api.post(f"{BASE}conflicts/", {**check, "exclude_slot_id": taken.pk}, format="json")
    assert itself.json() == {"conflicts": []}
    backwards = admin_api.post(f"{BASE}conflicts/", {**check, "end_time": "09:00"}, format="json")
    assert backwards.status_code == 400 and list(backwards.json()["error"]["fields"]) == ["end_time"]
    assert ScheduleSlot.objects.count() == 1


def test_deleting_a_slot_with_seats_is_409(school, admin_api):
    lesson = slot(school)
    SlotSeat.objects.create(school=school, slot=lesson, application=application(school))
    response = admin_api.delete(f"{BASE}{lesson.pk}/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "slot_in_use"
    assert admin_api.get(f"{BASE}{lesson.pk}/").json()["seats_taken"] == 1


def test_teachers_read_the_timetable_but_do_not_edit_it(school, teacher, api):
    lesson = slot(school)
    api.force_authenticate(teacher)
    assert api.get(BASE).status_code == 200
    assert api.post(BASE, body(school, weekday=4), format="json").status_code == 403
    assert api.patch(f"{BASE}{lesson.pk}/", {"room": "B2"}, format="json").status_code == 403
    assert api.delete(f"{BASE}{lesson.pk}/").status_code == 403


def test_another_schools_slot_is_404(school, other_school, admin_api):
    theirs = slot(other_school)
    url = f"{BASE}{theirs.pk}/"
    assert admin_api.get(url).status_code == 404
    assert admin_api.patch(url, {"room": "B2"}, format="json").status_code == 404
    assert admin_api.delete(url).status_code == 404
    check = {
        "term_id": school.current_term().pk,
        "weekday": 1,
        "start_time": "09:00",
        "end_time": "10:00",
        "exclude_slot_id": theirs.pk,
    }
    assert admin_api.post(f"{BASE}conflicts/", check, format="json").status_code == 400
    assert ScheduleSlot.objects.get(pk=theirs.pk).room == ""


def test_outsiders_get_404(school, other_school, charlie, api):
    api.force_authenticate(charlie)
    assert api.get(BASE).status_code == 404
    assert api.post(BASE, body(school), format="json").status_code == 404


def test_the_schema_describes_the_timetable_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    base = "/api/v1/schools/{school_slug}/schedule-slots/"
    assert {"get", "post"} <= set(paths[base])
    assert {"get", "patch", "delete"} <= set(paths[base + "{id}/"])
    assert "409" in paths[base]["post"]["responses"] and "409" in paths[base + "{id}/"]["patch"]["responses"]
    assert "post" in paths[base + "conflicts/"]


# --- PostgreSQL: fifty integrators post the same lesson at once ----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_api_requests_for_one_teachers_hour_exactly_one_is_created(school, alice, ada):
    groups = [f.ClassGroupFactory(school=school, name=f"Set {n}") for n in range(50)]
    term_id = school.current_term().pk
    answers, lock = [], threading.Lock()

    def post(group):
        client = APIClient()
        client.force_authenticate(alice)
        response = client.post(
            BASE,
            {
                "term_id": term_id,
                "class_group_id": group.pk,
                "subject": "Chemistry",
                "teacher_id": ada.pk,
                "weekday": 5,
                "start_time": "14:00",
                "end_time": "15:00",
            },
            format="json",
        )
        with lock:
            answers.append((response.status_code, response.json()))

    assert run_concurrently(post, groups) == []
    statuses = sorted(code for code, _ in answers)
    assert statuses == [201] + [409] * 49, statuses
    winner = next(answer for code, answer in answers if code == 201)
    expected = f"Ada Obi already teaches {winner['class_group']} Chemistry on Friday 14:00–15:00."
    assert {answer["error"]["message"] for code, answer in answers if code == 409} == {expected}
    assert ScheduleSlot.objects.for_school(school).filter(teacher=ada).count() == 1
