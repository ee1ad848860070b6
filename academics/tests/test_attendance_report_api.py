"""Attendance figures for reporting: the summary carries no personal data (every field of every
response shape is read), small groups are suppressed, a summary-only token reads nothing per pupil;
completeness names the registers still missing."""

import datetime
import io

import pytest
from django.core.management import call_command

from academics.attendance import codes, registers
from schools.models import Role
from schools.services.schools import api_token_create
from schools.tests import factories as f

from .factories import slot, staff

pytestmark = pytest.mark.django_db
G = "/api/v1/schools/greenfield/attendance"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world(school, attendance_term, group):
    today, big = school.local_today(), group
    policy = codes.policy_for(school)
    policy.min_group_size = 3
    policy.save()
    pupils = [e.student for e in school.enrollments.filter(class_group=big)]
    for name in ("Adeyemi", "Bello", "Chukwu", "Danjuma"):
        pupil = f.StudentFactory(school=school, last_name=name, first_name=f"Kid{name}")
        f.enroll(pupil, attendance_term, big)
        pupils.append(pupil)
    small = f.ClassGroupFactory(school=school, name="French set", level="JSS 2")
    lone = f.StudentFactory(school=school, first_name="Only", last_name="Child")
    f.enroll(lone, attendance_term, small)
    for back in (3, 2, 1):
        date = today - back * DAY
        registers.register_submit(
            school=school, class_group=big, date=date, marks=[{"student_id": pupils[1].pk, "code": "A"}], actor=None
        )
        registers.register_submit(
            school=school, class_group=small, date=date, marks=[{"student_id": lone.pk, "code": "A"}], actor=None
        )
    call_command(
        "attendance_daily_aggregate", "--from", str(today - 5 * DAY), "--school", school.slug, stdout=io.StringIO()
    )
    return today, big, small, [*pupils, lone]


def summary_token(api, school):
    role = Role.objects.create(
        school=school, key="analyst", name="Analyst", permissions=["academics.view_attendance_summary"]
    )
    api.credentials(
        HTTP_AUTHORIZATION=f"Token {api_token_create(school=school, name='Analyst', role_key=role.key).key}"
    )
    return api


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def test_no_response_shape_of_the_summary_names_or_numbers_a_pupil(api, school, world):
    today, big, small, pupils = world
    summary_token(api, school)
    identifying = {p.first_name for p in pupils} | {p.last_name for p in pupils} | {p.admission_number for p in pupils}
    ids = {p.pk for p in pupils}
    for group_by in ("day", "week", "class_group", "level"):
        response = api.get(f"{G}/summary/", {"from": str(today - 5 * DAY), "to": str(today), "group_by": group_by})
        assert response.status_code == 200, response.content
        body = response.json()
        found = set(_strings(body))
        assert not found & identifying, group_by
        for row in body["rows"]:
            assert set(row) == {"key", "label", "suppressed", "group_size", "figures", "rate"}
            # The only numbers are counts and the class group's id (by class group).
            if group_by != "class_group":
                assert not (row["key"].isdigit() and int(row["key"]) in ids)
    rows = {
        row["label"]: row
        for row in api.get(f"{G}/summary/", {"from": str(today - 5 * DAY), "group_by": "class_group"}).json()["rows"]
    }
    assert rows["French set"] == {
        "key": str(small.pk),
        "label": "French set",
        "suppressed": True,
        "group_size": None,
        "figures": None,
        "rate": None,
    }
    assert rows[big.name]["figures"]["absent"] == 3 and rows[big.name]["group_size"] == 5


def test_a_summary_token_reads_nothing_per_pupil(api, school, world):
    today, big, small, pupils = world
    summary_token(api, school)
    assert api.get(f"{G}/summary/").status_code == 200
    for url in (f"{G}/registers/", f"{G}/students/{pupils[0].pk}/", f"{G}/completeness/", f"{G}/codes/"):
        response = api.get(url)
        assert response.status_code == 403, url


def test_summary_input_is_checked(api, school, world, alice):
    api.force_authenticate(alice)
    assert api.get(f"{G}/summary/", {"group_by": "pupil"}).json()["error"]["fields"].keys() == {"group_by"}
    assert "from" in api.get(f"{G}/summary/", {"from": "2026-12-10", "to": "2026-12-01"}).json()["error"]["fields"]
    assert "from" in api.get(f"{G}/summary/", {"from": "2020-01-01", "to": "2026-12-01"}).json()["error"]["fields"]


def test_completeness_names_the_registers_still_missing(api, school, world, alice):
    today, big, small, pupils = world
    teacher = staff(school, first_name="Ngozi", last_name="Eze")
    big.form_teacher = teacher
    big.save()
    api.force_authenticate(alice)
    body = api.get(f"{G}/completeness/", {"date": str(today)}).json()
    assert body["expected"] == 2 and body["taken"] == 0
    assert {(m["class_group"]["name"], (m["teacher"] or {}).get("name")) for m in body["missing"]} == {
        (big.name, "Ngozi Eze"),
        ("French set", None),
    }
    body = api.get(f"{G}/completeness/", {"date": str(today - DAY)}).json()
    assert body["expected"] == 2 and body["missing"] == []
    policy = codes.policy_for(school)
    policy.mode = "both"
    policy.save()
    lesson = slot(school, class_group=big, weekday=today.isoweekday(), teacher=teacher)
    body = api.get(f"{G}/completeness/").json()
    assert body["expected"] == 3 and any((m["slot"] or {}).get("id") == lesson.pk for m in body["missing"])
