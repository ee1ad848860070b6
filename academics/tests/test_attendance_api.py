"""The attendance API: registers and their marks, a pupil's history, corrections and codes."""

import datetime

import pytest

from academics.attendance import codes
from academics.models import AttendanceMark, Register
from classpoint.models import AuditLog
from classpoint.schema_testing import schema
from schools.models import Enrollment
from schools.services.schools import api_token_create
from schools.tests import factories as f

from .factories import slot, staff

pytestmark = pytest.mark.django_db
G = "/api/v1/schools/greenfield/attendance"
R = "/api/v1/schools/riverside/attendance"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def pupils(pupils):
    # In the register's order.
    return sorted(pupils, key=lambda p: (p.last_name, p.first_name, p.admission_number))


@pytest.fixture
def teacher_api(api, teacher):
    api.force_authenticate(teacher)
    return api


def take(school, group, marks=(), date=None, **extra):
    date = date or school.local_today()
    return {"class_group": group.pk, "date": date.isoformat(), "marks": list(marks), **extra}


def test_a_teacher_takes_a_register_and_everyone_unmarked_is_present(school, group, pupils, teacher, teacher_api):
    # given a teacher with a staff profile
    me = staff(school, "Ada", "Obi")
    me.user = teacher
    me.save()
    absent, late = pupils[0], pupils[1]
    marks = [{"student": absent.pk, "code": "A"}, {"student": late.pk, "code": "l", "minutes_late": 20}]

    # when
    response = teacher_api.post(f"{G}/registers/", take(school, group, marks), format="json")

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    register = Register.objects.get(school=school)
    assert body["id"] == register.pk and body["date"] == school.local_today().isoformat()
    assert body["class_group"] == {"id": group.pk, "name": group.name}
    assert body["slot"] is None and body["teacher"] == {"id": me.pk, "name": "Ada Obi"}
    assert body["submitted_by"] == teacher.get_username() and body["updated_at"] is None
    assert body["counts"] == {"present": 2, "absent": 1, "excused": 0, "late": 1}
    assert [row["student_id"] for row in body["marks"]] == [p.pk for p in pupils]
    rows = {row["student_id"]: row for row in body["marks"]}
    assert (rows[absent.pk]["code"], rows[absent.pk]["kind"]) == ("A", "absent")
    assert (rows[late.pk]["code"], rows[late.pk]["minutes_late"]) == ("L", 20)
    assert rows[late.pk]["admission_number"] == late.admission_number and rows[late.pk]["name"] == late.full_name


def test_submitting_a_taken_register_again_edits_it_with_200(school, group, pupils, teacher_api):
    first = teacher_api.post(f"{G}/registers/", take(school, group), format="json")
    again = teacher_api.post(
        f"{G}/registers/", take(school, group, [{"student": pupils[2].pk, "code": "E-ILL"}]), format="json"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["updated_at"] is not None
    assert again.json()["counts"] == {"present": 3, "absent": 0, "excused": 1, "late": 0}
    assert Register.objects.count() == 1


def test_a_teacher_may_take_any_class_register_and_a_lesson_register(
    school, group, pupils, teacher_api, attendance_term
):
    # given a lesson of this class today taught by someone else (a cover lesson)
    lesson = slot(school, class_group=group, weekday=school.local_today().isoweekday(), teacher=staff(school))
    response = teacher_api.post(f"{G}/registers/", take(school, group, slot=lesson.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["slot"] == {"id": lesson.pk, "subject": "Mathematics", "start": "09:00", "end": "10:00"}


def test_list_filters_and_keeps_a_stable_order(school, group, pupils, teacher_api, attendance_term):
    today = school.local_today()
    other = f.ClassGroupFactory(school=school, name="AAA first by name")
    f.enroll(f.StudentFactory(school=school), attendance_term, other)
    lesson = slot(school, class_group=group, weekday=today.isoweekday())
    yesterday = teacher_api.post(f"{G}/registers/", take(school, group, date=today - DAY), format="json").json()
    daily = teacher_api.post(f"{G}/registers/", take(school, group), format="json").json()
    lesson_register = teacher_api.post(f"{G}/registers/", take(school, group, slot=lesson.pk), format="json").json()
    first_by_name = teacher_api.post(f"{G}/registers/", take(school, other), format="json").json()

    listed = teacher_api.get(f"{G}/registers/").json()
    assert listed["count"] == 4
    assert [r["id"] for r in listed["results"]] == [
        first_by_name["id"],
        daily["id"],
        lesson_register["id"],
        yesterday["id"],
    ]
    assert listed["results"][1]["counts"] == {"present": 4, "absent": 0, "excused": 0, "late": 0}
    assert "marks" not in listed["results"][0]

    def ids(query):
        return [r["id"] for r in teacher_api.get(f"{G}/registers/?{query}").json()["results"]]

    assert ids(f"date={(today - DAY).isoformat()}") == [yesterday["id"]]
    assert ids(f"class_group={other.pk}") == [first_by_name["id"]]
    assert ids(f"slot={lesson.pk}") == [lesson_register["id"]]
    assert len(ids("submitted=true")) == 4 and ids("submitted=false") == []
    bad = teacher_api.get(f"{G}/registers/?date=not-a-day")
    assert bad.status_code == 400 and "date" in bad.json()["error"]["fields"]


def test_the_list_costs_the_same_queries_for_one_register_or_many(school, group, pupils, teacher_api, attendance_term):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert teacher_api.get(f"{G}/registers/").status_code == 200
        return len(queries)

    teacher_api.post(f"{G}/registers/", take(school, group), format="json")
    one = cost()
    for days_ago in (1, 2, 3):
        teacher_api.post(f"{G}/registers/", take(school, group, date=school.local_today() - days_ago * DAY))
    assert cost() == one


def test_detail_and_marks_list_a_registers_marks_only(school, group, pupils, teacher_api, attendance_term):
    register = teacher_api.post(f"{G}/registers/", take(school, group), format="json").json()
    # A pupil who joined after the register was taken is on the class, not on the taken register.
    f.enroll(f.StudentFactory(school=school, last_name="Aaron"), attendance_term, group)

    detail = teacher_api.get(f"{G}/registers/{register['id']}/")
    assert detail.status_code == 200 and detail.json() == register
    marks = teacher_api.get(f"{G}/registers/{register['id']}/marks/").json()
    assert marks["count"] == 4 and marks["results"] == register["marks"]
    assert {row["code"] for row in marks["results"]} == {"P"}


def test_put_marks_edits_and_a_closed_day_needs_a_reason(school, group, pupils, teacher_api):
    yesterday = school.local_today() - DAY
    register = teacher_api.post(f"{G}/registers/", take(school, group, date=yesterday), format="json").json()
    url = f"{G}/registers/{register['id']}/marks/"
    change = {"marks": [{"student": pupils[0].pk, "code": "E-MED", "note": "Dentist"}]}

    refused = teacher_api.put(url, change, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "reason_required" and list(refused.json()["error"]["fields"]) == [
        "reason"
    ]
    assert set(AttendanceMark.objects.values_list("code__code", flat=True)) == {"P"}

    edited = teacher_api.put(url, {**change, "reason": "Note from home"}, format="json")
    assert edited.status_code == 200, edited.json()
    rows = {row["student_id"]: row for row in edited.json()["marks"]}
    assert (rows[pupils[0].pk]["code"], rows[pupils[0].pk]["note"]) == ("E-MED", "Dentist")
    assert rows[pupils[1].pk]["code"] == "P"  # no row: keeps the mark
    entry = AuditLog.objects.get(action="attendance.register_edited")
    assert entry.changes["reason"] == "Note from home"


def test_bad_marks_name_each_pupil_and_save_nothing(school, other_school, group, pupils, teacher_api):
    stranger = other_school.students.first()
    marks = [
        {"student": pupils[0].pk, "code": "ZZ"},
        {"student": pupils[1].pk, "code": "L"},
        {"student": stranger.pk, "code": "A"},
    ]
    response = teacher_api.post(f"{G}/registers/", take(school, group, marks), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_marks"
    assert set(error["fields"]) == {f"marks.{pupils[0].pk}", f"marks.{pupils[1].pk}", f"marks.{stranger.pk}"}
    assert not Register.objects.exists() and not AttendanceMark.objects.exists()


def test_a_malformed_row_is_named_by_its_pupil_too(school, group, pupils, teacher_api):
    marks = [{"student": pupils[0].pk, "code": "L", "minutes_late": 9999}, {"code": "A"}]
    response = teacher_api.post(f"{G}/registers/", take(school, group, marks), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"][f"marks.{pupils[0].pk}"] == ["minutes_late: Ensure this value is less than or equal to 600."]
    assert error["fields"]["marks"] == ["student: This field is required."]
    missing = teacher_api.post(f"{G}/registers/", {"date": "2026-01-01"}, format="json").json()["error"]
    assert set(missing["fields"]) == {"class_group", "marks"}
    not_a_list = teacher_api.post(f"{G}/registers/", {**take(school, group), "marks": "all here"}, format="json")
    assert list(not_a_list.json()["error"]["fields"]) == ["marks"]
    not_rows = teacher_api.post(f"{G}/registers/", take(school, group, ["P"]), format="json")
    assert not_rows.json()["error"]["fields"]["marks"][0].startswith("non_field_errors: Invalid data.")
    assert not Register.objects.exists()


def test_days_without_a_register_are_refused_with_the_field(school, group, pupils, teacher_api, attendance_term):
    cases = [
        (school.local_today() + DAY, "register_in_future"),
        (attendance_term.start_date - DAY, "no_term"),
    ]
    for date, code in cases:
        response = teacher_api.post(f"{G}/registers/", take(school, group, date=date), format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code and list(response.json()["error"]["fields"]) == ["date"]
    other_day = slot(school, class_group=group, weekday=school.local_today().isoweekday() % 7 + 1)
    response = teacher_api.post(f"{G}/registers/", take(school, group, slot=other_day.pk), format="json")
    assert response.json()["error"]["code"] == "lesson_not_on_day" and "slot" in response.json()["error"]["fields"]
    assert not Register.objects.exists()


def test_a_pupil_already_marked_in_another_class_today_is_409(school, group, pupils, teacher_api, attendance_term):
    # given a pupil moving classes today: still on the old class's register, already on the new one's
    mover = pupils[0]
    old = Enrollment.objects.get(student=mover, term=attendance_term)
    old.status, old.ended_on = Enrollment.Status.ENDED, school.local_today() + DAY
    old.save()
    new_group = f.ClassGroupFactory(school=school, name="JSS 1B")
    f.enroll(mover, attendance_term, new_group)
    assert teacher_api.post(f"{G}/registers/", take(school, new_group), format="json").status_code == 201

    response = teacher_api.post(f"{G}/registers/", take(school, group), format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_marked"
    assert list(response.json()["error"]["fields"]) == [f"marks.{mover.pk}"]
    assert Register.objects.count() == 1


def test_idempotency_key_replays_and_refuses_another_body(school, group, pupils, teacher_api):
    body = take(school, group, [{"student": pupils[0].pk, "code": "A"}])
    first = teacher_api.post(f"{G}/registers/", body, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    replay = teacher_api.post(f"{G}/registers/", body, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    other = take(school, group, [{"student": pupils[0].pk, "code": "P"}])
    conflict = teacher_api.post(f"{G}/registers/", other, format="json", HTTP_IDEMPOTENCY_KEY="reg-1")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"
    assert AttendanceMark.objects.get(student=pupils[0]).code.code == "A"
    assert not AuditLog.objects.filter(action="attendance.register_edited").exists()


def test_an_officer_corrects_a_mark_with_a_reason(school, group, pupils, teacher_api, officer, api):
    register = teacher_api.post(f"{G}/registers/", take(school, group), format="json").json()
    mark_id = register["marks"][0]["id"]
    api.force_authenticate(officer)
    url = f"{G}/marks/{mark_id}/correct/"

    blank = api.post(url, {"code": "A", "reason": " "}, format="json")
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "reason_required"
    missing = api.post(url, {"code": "A"}, format="json")
    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["reason"]
    late = api.post(url, {"code": "L", "reason": "Bus"}, format="json")
    assert late.json()["error"] == {
        "code": "invalid_marks",
        "message": "Some marks need attention.",
        "fields": {f"marks.{pupils[0].pk}": ["How many minutes late? Give a whole number from 1 to 600."]},
    }

    response = api.post(url, {"code": "L", "minutes_late": 35, "reason": "Bus broke down"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["code"], body["kind"], body["minutes_late"]) == (mark_id, "L", "late", 35)
    assert body["marked_by"] == officer.get_username() and body["register_id"] == register["id"]
    assert AuditLog.objects.get(action="attendance.register_edited").changes["reason"] == "Bus broke down"


def test_a_pupils_history_is_read_with_totals_and_rate_and_logged(school, group, pupils, teacher_api, officer, api):
    pupil = pupils[1]
    today = school.local_today()
    for days_ago, code in ((3, "A"), (2, "E-ILL"), (1, "IS"), (0, "P")):
        marks = [{"student": pupil.pk, "code": code}]
        date = today - days_ago * DAY
        assert teacher_api.post(f"{G}/registers/", take(school, group, marks, date=date)).status_code == 201
    api.force_authenticate(officer)

    response = api.get(f"{G}/students/{pupil.pk}/", {"from": (today - 2 * DAY).isoformat()})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["student"] == {"id": pupil.pk, "admission_number": pupil.admission_number, "name": pupil.full_name}
    assert (body["start"], body["end"]) == ((today - 2 * DAY).isoformat(), today.isoformat())
    assert [day["date"] for day in body["days"]] == [(today - n * DAY).isoformat() for n in (2, 1, 0)]
    assert [day["marks"][0]["code"] for day in body["days"]] == ["E-ILL", "IS", "P"]
    assert body["days"][0]["marks"][0]["class_group"] == {"id": group.pk, "name": group.name}
    assert body["totals"] == {"present": 2, "absent": 0, "excused": 1, "late": 0}
    assert body["rate"] == pytest.approx(2 / 3)
    entry = AuditLog.objects.get(action="student.viewed")
    assert (entry.actor, entry.target_id, entry.changes) == (officer, str(pupil.pk), {"via": "api"})

    whole_term = api.get(f"{G}/students/{pupil.pk}/").json()
    assert len(whole_term["days"]) == 4 and whole_term["totals"]["absent"] == 1
    assert AuditLog.objects.filter(action="student.viewed").count() == 2


def test_a_history_range_is_checked(school, pupils, officer_api):
    today = school.local_today()
    url = f"{G}/students/{pupils[0].pk}/"
    backwards = officer_api.get(url, {"from": today.isoformat(), "to": (today - DAY).isoformat()})
    assert backwards.status_code == 400 and list(backwards.json()["error"]["fields"]) == ["from"]
    too_long = officer_api.get(url, {"from": (today - 500 * DAY).isoformat()})
    assert too_long.status_code == 400 and list(too_long.json()["error"]["fields"]) == ["from"]
    malformed = officer_api.get(url, {"to": "yesterday"})
    assert malformed.status_code == 400 and list(malformed.json()["error"]["fields"]) == ["to"]
    assert not AuditLog.objects.filter(action="student.viewed").exists()


def test_codes_list_the_schools_codes_in_order(school, teacher_api):
    response = teacher_api.get(f"{G}/codes/")
    assert response.status_code == 200
    listed = response.json()["results"]
    assert [c["code"] for c in listed[:4]] == ["P", "A", "L", "E"]
    assert listed[0] | {"id": 0} == {
        "id": 0,
        "code": "P",
        "label": "Present",
        "kind": "present",
        "key": "p",
        "counts_as_present": True,
    }
    assert response.json()["count"] == len(codes.DEFAULT_CODES)


def test_another_schools_ids_are_404_as_if_absent(school, other_school, group, pupils, teacher_api, charlie, api):
    # given Greenfield's register, mark and pupil
    register = teacher_api.post(f"{G}/registers/", take(school, group), format="json").json()
    mark_id = register["marks"][0]["id"]
    riverside_group = other_school.class_groups.first()
    riverside_lesson = slot(other_school, class_group=riverside_group, term=other_school.current_term())

    # then Greenfield's teacher cannot name Riverside's class or lesson
    foreign_class = teacher_api.post(f"{G}/registers/", take(school, riverside_group), format="json")
    assert foreign_class.status_code == 404
    assert foreign_class.json()["error"]["code"] == "class_group_not_found"
    assert list(foreign_class.json()["error"]["fields"]) == ["class_group"]
    foreign_lesson = teacher_api.post(f"{G}/registers/", take(school, group, slot=riverside_lesson.pk), format="json")
    assert foreign_lesson.status_code == 404 and foreign_lesson.json()["error"]["code"] == "slot_not_found"

    # and Riverside's admin reaches none of Greenfield's rows through Riverside
    api.force_authenticate(charlie)
    for url in (
        f"{R}/registers/{register['id']}/",
        f"{R}/registers/{register['id']}/marks/",
        f"{R}/students/{pupils[0].pk}/",
    ):
        assert api.get(url).status_code == 404, url
    assert api.put(f"{R}/registers/{register['id']}/marks/", {"marks": []}, format="json").status_code == 404
    correction = {"code": "A", "reason": "x"}
    assert api.post(f"{R}/marks/{mark_id}/correct/", correction, format="json").status_code == 404
    assert api.get(f"{R}/registers/").json()["count"] == 0
    # nor through Greenfield's own path
    assert api.get(f"{G}/registers/{register['id']}/").status_code == 404
    assert AttendanceMark.objects.get(pk=mark_id).code.code == "P"
    assert not AuditLog.objects.filter(action="student.viewed").exists()


def test_roles_without_the_permission_get_403(school, group, pupils, teacher, teacher_api, api):
    register = teacher_api.post(f"{G}/registers/", take(school, group), format="json").json()
    mark_id = register["marks"][0]["id"]

    # a teacher takes registers but neither reads a pupil's history nor corrects marks
    history = teacher_api.get(f"{G}/students/{pupils[0].pk}/")
    assert history.status_code == 403 and history.json()["error"]["code"] == "permission_denied"
    correction = teacher_api.post(f"{G}/marks/{mark_id}/correct/", {"code": "A", "reason": "x"}, format="json")
    assert correction.status_code == 403
    assert not AuditLog.objects.filter(action="student.viewed").exists()

    # a bursar's token reaches no attendance at all
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(school=school, name='ERP', role_key='bursar').key}")
    for url in (
        f"{G}/registers/",
        f"{G}/registers/{register['id']}/",
        f"{G}/registers/{register['id']}/marks/",
        f"{G}/codes/",
        f"{G}/students/{pupils[0].pk}/",
    ):
        response = api.get(url)
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied", url
    assert api.post(f"{G}/registers/", take(school, group), format="json").status_code == 403
    assert api.put(f"{G}/registers/{register['id']}/marks/", {"marks": []}, format="json").status_code == 403
    assert Register.objects.count() == 1 and AttendanceMark.objects.filter(kind="present").count() == 4


def test_the_schema_documents_every_endpoint_and_its_error_codes():
    paths = schema()["paths"]
    base = "/api/v1/schools/{school_slug}/attendance"
    expected = {
        f"{base}/registers/": {"get", "post"},
        f"{base}/registers/{{id}}/": {"get"},
        f"{base}/registers/{{id}}/marks/": {"get", "put"},
        f"{base}/students/{{student_id}}/": {"get"},
        f"{base}/marks/{{id}}/correct/": {"post"},
        f"{base}/codes/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    submit = paths[f"{base}/registers/"]["post"]
    assert {"200", "201", "400", "403", "404", "409"} <= set(submit["responses"])
    described = " ".join(submit["responses"][status]["description"] for status in ("400", "404", "409"))
    for code in ("invalid_marks", "reason_required", "register_in_future", "class_group_not_found", "already_marked"):
        assert code in described
    assert {"from", "to"} <= {p["name"] for p in paths[f"{base}/students/{{student_id}}/"]["get"]["parameters"]}
    listed = {p["name"] for p in paths[f"{base}/registers/"]["get"]["parameters"]}
    assert {"date", "class_group", "slot", "submitted", "page", "page_size"} <= listed
    codes_enum = schema()["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
    assert {"invalid_marks", "reason_required", "already_marked", "class_group_not_found"} <= set(codes_enum)
