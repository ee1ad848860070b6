"""Recovery sessions: scheduling, seats up to capacity (under concurrency too), credited minutes and
the yearly cap, the days made up, the API, the pages and the metrics."""

import datetime
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY
from prometheus_client.exposition import generate_latest
from rest_framework.test import APIClient

from academics.attendance import codes, registers
from academics.errors import AcademicsError, AcademicsErrorCode
from academics.models import RecoveryAssignment, RecoverySession
from academics.recovery import selectors, services
from classpoint.models import AuditLog
from classpoint.testing import run_concurrently
from schools.models import Student
from schools.tests import factories as f

from .factories import open_every_day, staff, t

pytestmark = pytest.mark.django_db
API = "/api/v1/schools/greenfield/recovery-sessions/"
PAGES = "/s/greenfield/attendance/recovery/"


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def today(school):
    return school.local_today()


@pytest.fixture
def term(school):
    return open_every_day(school, days_back=60, year=(100, 200))


@pytest.fixture
def ada(school):
    return staff(school, "Ada", "Obi")


@pytest.fixture
def pupils(school, term):
    group = school.class_groups.get(name="GFA JSS 1A")
    first = school.students.get(admission_number="GFA/0001")
    more = []
    for n, name in enumerate(("Adeyemi", "Bello", "Chukwu", "Danjuma"), start=2):
        pupil = f.StudentFactory(school=school, first_name="Kemi", last_name=name, admission_number=f"GFA/{n:04d}")
        f.enroll(pupil, term, group)
        more.append(pupil)
    return [first, *more]


def create(school, actor, *, on=None, start="14:00", end="16:00", location="Room 4", teacher=None, **extra):
    return services.recovery_session_create(
        school=school,
        actor=actor,
        date=on or school.local_today() + days(7),
        start_time=t(start),
        end_time=t(end),
        location=location,
        teacher=teacher,
        **extra,
    )


def refused(call):
    with pytest.raises(AcademicsError) as caught:
        call()
    return caught.value


def assign(school, session, pupils, actor=None):
    return services.recovery_assign(school=school, session=session, student_ids=[p.pk for p in pupils], actor=actor)


def take(school, session, marks, actor=None, **kw):
    return services.recovery_attendance_take(
        school=school, session=session, marks={p.pk: came for p, came in marks}, actor=actor, **kw
    )


# --- Scheduling ----------------------------------------------------------------------------------


def test_a_session_is_scheduled_with_its_teacher_and_audited(school, alice, ada, today):
    session = create(school, alice, teacher=ada, capacity=12)
    assert (session.date, session.minutes, session.capacity, session.teacher) == (today + days(7), 120, 12, ada)
    assert session.state == RecoverySession.State.SCHEDULED and session.created_by == alice
    entry = AuditLog.objects.get(action="recovery.session_created")
    assert entry.changes["capacity"] == 12 and entry.changes["teacher_id"] == ada.pk


def test_capacity_defaults_to_twenty_five(school, alice):
    assert create(school, alice).capacity == 25


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"on": "yesterday"}, "date"),
        ({"start": "16:00", "end": "16:00"}, "end_time"),
        ({"start": "16:00", "end": "15:00"}, "end_time"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 201}, "capacity"),
        ({"location": "   "}, "location"),
        ({"location": "x" * 81}, "location"),
    ],
)
def test_bad_details_are_refused_by_field(school, alice, today, fields, field):
    if fields.get("on") == "yesterday":
        fields = {**fields, "on": today - days(1)}
    error = refused(lambda: create(school, alice, **fields))
    assert error.code == AcademicsErrorCode.RECOVERY_INVALID and error.status_code == 400
    assert list(error.fields) == [field]
    assert not RecoverySession.objects.exists()


def test_a_session_may_be_today_and_hold_two_hundred(school, alice, today):
    assert create(school, alice, on=today, capacity=200).capacity == 200


def test_the_teacher_must_be_a_teacher_of_the_school(school, other_school, alice):
    bursar = staff(school, "Bola", "Ade", is_teacher=False)
    assert list(refused(lambda: create(school, alice, teacher=bursar)).fields) == ["teacher"]
    elsewhere = staff(other_school, "Rita", "Eze")
    error = refused(lambda: create(school, alice, teacher=elsewhere))
    assert error.code == AcademicsErrorCode.TEACHER_NOT_FOUND


# --- Seats ---------------------------------------------------------------------------------------


def test_pupils_are_seated_up_to_capacity_and_no_further(school, alice, pupils):
    session = create(school, alice, capacity=3)
    first = assign(school, session, pupils[:2], alice)
    assert first.assigned == pupils[:2] and first.already == []
    # a batch that does not fit is refused whole
    error = refused(lambda: assign(school, session, pupils[2:4]))
    assert error.code == AcademicsErrorCode.RECOVERY_FULL and error.status_code == 409
    assert error.fields == {"students": ["Only 1 of 3 seats is free, for 2 pupils."]}
    assign(school, session, pupils[2:3])
    error = refused(lambda: assign(school, session, pupils[3:4]))
    assert error.message == "This recovery session is full."
    assert error.fields == {"students": ["All 3 seats are taken."]}
    assert session.assignments.count() == 3
    assert AuditLog.objects.filter(action="recovery.pupils_assigned").count() == 2


def test_seating_a_pupil_again_changes_nothing_even_when_full(school, alice, pupils):
    session = create(school, alice, capacity=1)
    assign(school, session, pupils[:1])
    again = assign(school, session, pupils[:1])
    assert again.assigned == [] and again.already == pupils[:1]
    assert session.assignments.count() == 1
    assert AuditLog.objects.filter(action="recovery.pupils_assigned").count() == 1


def test_a_cancelled_session_takes_nobody(school, alice, pupils):
    session = create(school, alice)
    services.recovery_session_cancel(school=school, session=session, actor=alice, reason="teacher ill")
    error = refused(lambda: assign(school, session, pupils[:1]))
    assert error.code == AcademicsErrorCode.RECOVERY_CANCELLED and error.status_code == 409


def test_a_pupil_who_left_or_belongs_elsewhere_is_refused(school, other_school, alice, pupils):
    session = create(school, alice)
    pupils[1].status = Student.Status.WITHDRAWN
    pupils[1].save()
    error = refused(lambda: assign(school, session, pupils[:2]))
    assert error.code == AcademicsErrorCode.RECOVERY_INVALID
    assert error.fields == {"students": ["Kemi Adeyemi (GFA/0002) is withdrawn."]}
    stranger = other_school.students.get()
    error = refused(lambda: assign(school, session, [pupils[0], stranger]))
    assert error.code == AcademicsErrorCode.STUDENT_NOT_FOUND
    assert error.fields == {"students": [f"Pupil {stranger.pk}: Not found in this school."]}
    assert not session.assignments.exists()


def test_a_pupil_cannot_sit_two_sessions_at_once(school, alice, pupils, today):
    on = today + days(3)
    first = create(school, alice, on=on, start="14:00", end="16:00")
    touching = create(school, alice, on=on, start="16:00", end="17:00", location="Library")
    overlapping = create(school, alice, on=on, start="15:00", end="17:00", location="Hall")
    assign(school, first, pupils[:1])
    assign(school, touching, pupils[:1])
    error = refused(lambda: assign(school, overlapping, pupils[:1]))
    assert error.code == AcademicsErrorCode.ALREADY_ASSIGNED and error.status_code == 409
    assert error.fields["students"][0].startswith("GFAPupil")
    # a cancelled session holds nobody's time
    services.recovery_session_cancel(school=school, session=first, actor=alice)
    services.recovery_session_cancel(school=school, session=touching, actor=alice)
    assert assign(school, overlapping, pupils[:1]).assigned == pupils[:1]


def test_a_seat_is_given_back_until_attendance_is_taken(school, alice, pupils, today):
    session = create(school, alice, on=today)
    assign(school, session, pupils[:2])
    services.recovery_unassign(school=school, session=session, student_id=pupils[0].pk, actor=alice)
    take(school, session, [(pupils[1], True)])
    error = refused(
        lambda: services.recovery_unassign(school=school, session=session, student_id=pupils[1].pk, actor=alice)
    )
    assert error.code == AcademicsErrorCode.RECOVERY_TAKEN
    assert list(session.assignments.values_list("student_id", flat=True)) == [pupils[1].pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_assignments_into_the_last_seat_seat_exactly_one(school, alice):
    # given a session with one seat left and fifty pupils wanting it
    session = create(school, alice, capacity=5)
    seated = [f.StudentFactory(school=school, admission_number=f"S/{n}") for n in range(4)]
    assign(school, session, seated)
    hopefuls = [f.StudentFactory(school=school, admission_number=f"H/{n}") for n in range(50)]

    # when fifty officers seat one each at the same moment
    def seat(pupil):
        services.recovery_assign(school=school, session=session, student_ids=[pupil.pk], actor=alice)

    errors = run_concurrently(seat, hopefuls)

    # then exactly one got the seat; the other 49 heard it was full
    assert session.assignments.count() == 5
    assert RecoveryAssignment.objects.filter(session=session, student__in=hopefuls).count() == 1
    assert len(errors) == 49
    assert {(type(e), e.code) for e in errors} == {(AcademicsError, AcademicsErrorCode.RECOVERY_FULL)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_for_one_pupil_give_one_seat(school, alice):
    session = create(school, alice, capacity=2)
    pupil = f.StudentFactory(school=school, admission_number="ONE/1")
    answers, lock = [], threading.Lock()

    def post(_):
        client = APIClient()
        client.force_authenticate(alice)
        response = client.post(f"{API}{session.pk}/assign/", {"students": [pupil.pk]}, format="json")
        with lock:
            answers.append(response.status_code)

    assert run_concurrently(post, list(range(50))) == []
    assert answers == [200] * 50
    assert session.assignments.count() == 1


# --- Attendance and credit -----------------------------------------------------------------------


def test_attending_credits_the_sessions_minutes_and_absence_none(school, alice, pupils, today):
    session = create(school, alice, on=today, start="13:00", end="16:20")
    assign(school, session, pupils[:3])
    seats = take(school, session, [(pupils[0], True), (pupils[1], False)], alice)
    assert [(s.student_id, s.attended, s.minutes_credited) for s in seats] == [
        (pupils[0].pk, True, 200),
        (pupils[1].pk, False, 0),
    ]
    untouched = session.assignments.get(student=pupils[2])
    assert untouched.attended is None and untouched.minutes_credited == 0
    entry = AuditLog.objects.get(action="recovery.attendance_taken")
    assert entry.changes["attended"] == 1 and entry.changes["credited"][str(pupils[0].pk)] == 200
    assert str(selectors.student_recovered_time(school=school, student=pupils[0])) == (
        "Recovered: 3 h 20 min this year"
    )


def test_taking_attendance_again_never_credits_twice(school, alice, pupils, today):
    session = create(school, alice, on=today, start="10:00", end="13:00")
    assign(school, session, pupils[:1])
    take(school, session, [(pupils[0], True)])
    take(school, session, [(pupils[0], True)])
    year = school_year(school, today)
    assert selectors.recovered_minutes(school=school, student=pupils[0], **year) == 180
    take(school, session, [(pupils[0], False)])
    assert selectors.recovered_minutes(school=school, student=pupils[0], **year) == 0
    take(school, session, [(pupils[0], True)])
    assert selectors.recovered_minutes(school=school, student=pupils[0], **year) == 180


def school_year(school, on):
    start, end = selectors.school_year(school=school, date=on)
    return {"start": start, "end": end}


def test_credit_stops_at_the_schools_yearly_cap(school, alice, pupils, today, term):
    policy = codes.policy_for(school)
    policy.recovery_cap_minutes = 300
    policy.save()
    first = create(school, alice, on=today, start="09:00", end="12:00")
    second = create(school, alice, on=today, start="13:00", end="16:00", location="Library")
    third = create(school, alice, on=today, start="16:00", end="17:00", location="Hall")
    for session in (first, second, third):
        assign(school, session, pupils[:1])
    take(school, first, [(pupils[0], True)])
    (capped,) = take(school, second, [(pupils[0], True)])
    (nothing,) = take(school, third, [(pupils[0], True)])
    assert (capped.minutes_credited, nothing.minutes_credited) == (120, 0)
    assert selectors.recovered_minutes(school=school, student=pupils[0], **school_year(school, today)) == 300
    # re-taking the first session does not steal from the cap twice
    take(school, first, [(pupils[0], True)])
    assert selectors.recovered_minutes(school=school, student=pupils[0], **school_year(school, today)) == 300
    # marking the first absent frees its minutes, which the second's next taking may use
    take(school, first, [(pupils[0], False)])
    (recredited,) = take(school, second, [(pupils[0], True)])
    assert recredited.minutes_credited == 180
    time = selectors.student_recovered_time(school=school, student=pupils[0])
    assert (time.minutes, time.cap_minutes, time.remaining_minutes, time.text) == (180, 300, 120, "3 h")


def test_the_cap_counts_one_school_year(school, alice, pupils, today, term):
    policy = codes.policy_for(school)
    policy.recovery_cap_minutes = 120
    policy.save()
    year = term.session
    last_year = f.SessionFactory(
        school=school,
        name="Last year",
        start_date=year.start_date - days(300),
        end_date=year.start_date - days(1),
        is_current=False,
    )
    old = create(school, alice, on=last_year.end_date - days(5), start="10:00", end="12:00", today=last_year.start_date)
    assign(school, old, pupils[:1])
    take(school, old, [(pupils[0], True)], today=today)
    session = create(school, alice, on=today)
    assign(school, session, pupils[:1])
    (seat,) = take(school, session, [(pupils[0], True)])
    assert seat.minutes_credited == 120


def test_attendance_waits_for_the_day_and_names_pupils_without_a_seat(school, alice, pupils, today):
    later = create(school, alice, on=today + days(1))
    assign(school, later, pupils[:1])
    error = refused(lambda: take(school, later, [(pupils[0], True)]))
    assert error.code == AcademicsErrorCode.RECOVERY_IN_FUTURE
    now = create(school, alice, on=today)
    assign(school, now, pupils[:1])
    error = refused(lambda: take(school, now, [(pupils[0], True), (pupils[1], True)]))
    assert error.code == AcademicsErrorCode.RECOVERY_INVALID
    assert error.fields == {f"marks.{pupils[1].pk}": ["This pupil has no seat in this session."]}
    assert now.assignments.get().attended is None


def test_a_session_with_attendance_taken_cannot_be_cancelled(school, alice, pupils, today):
    session = create(school, alice, on=today)
    assign(school, session, pupils[:1])
    take(school, session, [(pupils[0], False)])
    error = refused(lambda: services.recovery_session_cancel(school=school, session=session, actor=alice))
    assert error.code == AcademicsErrorCode.RECOVERY_TAKEN and error.status_code == 409
    session.refresh_from_db()
    assert session.state == RecoverySession.State.SCHEDULED


def test_cancelling_twice_is_cancelling_once(school, alice):
    session = create(school, alice)
    services.recovery_session_cancel(school=school, session=session, actor=alice, reason="rain")
    services.recovery_session_cancel(school=school, session=session, actor=alice)
    assert AuditLog.objects.get(action="recovery.session_cancelled").changes == {"reason": "rain", "seats_taken": 0}


# --- Days made up (for the interventions scan) ---------------------------------------------------


def test_made_up_days_rule():
    d = datetime.date
    absences = [d(2026, 10, 1), d(2026, 10, 5), d(2026, 10, 20)]
    # six hours make up the earliest absence; minutes short of a day wait for the next session
    assert selectors.made_up_days(absences, [(d(2026, 10, 10), 360)]) == [d(2026, 10, 1)]
    assert selectors.made_up_days(absences, [(d(2026, 10, 10), 180), (d(2026, 10, 12), 180)]) == [d(2026, 10, 1)]
    assert selectors.made_up_days(absences, [(d(2026, 10, 10), 359)]) == []
    # an absence after the session is not made up by it, but by a later one
    assert selectors.made_up_days(absences, [(d(2026, 10, 10), 1080)]) == [d(2026, 10, 1), d(2026, 10, 5)]
    assert selectors.made_up_days(absences, [(d(2026, 10, 10), 1080), (d(2026, 10, 21), 0)]) == absences
    assert selectors.made_up_days([], [(d(2026, 10, 10), 720)]) == []


def test_recovered_days_are_the_earliest_unexcused_absences_made_up(school, alice, pupils, today, term):
    group = school.class_groups.get(name="GFA JSS 1A")
    kemi, other = pupils[1], pupils[2]
    for ago, code in ((10, "A"), (9, "E-ILL"), (8, "A"), (3, "A")):
        registers.register_submit(
            school=school,
            class_group=group,
            date=today - days(ago),
            marks=[{"student_id": kemi.pk, "code": code}, {"student_id": other.pk, "code": "A"}],
            actor=alice,
            reason="entered late",
        )
    # six hours on day -9 (only day -10 is before it), then seven on day -2
    early = create(school, alice, on=today - days(9), start="10:00", end="16:00", today=today - days(9))
    late = create(school, alice, on=today - days(2), start="09:00", end="16:00", today=today - days(2))
    for session in (early, late):
        assign(school, session, [kemi])
        take(school, session, [(kemi, True)], today=today)
    found = selectors.recovered_days(school=school, session=term.session)
    assert found == {kemi.pk: [today - days(10), today - days(8)]}
    # the scan may give the days it counts itself, and narrow the pupils
    counted = {kemi.pk: [today - days(3)], other.pk: [today - days(10)]}
    assert selectors.recovered_days(school=school, session=term.session, absences=counted) == {
        kemi.pk: [today - days(3)]
    }
    assert selectors.recovered_days(school=school, session=term.session, student_ids=[other.pk]) == {}


def test_minutes_text():
    assert [selectors.minutes_text(m) for m in (0, 45, 60, 200, 3600)] == [
        "0 min",
        "45 min",
        "1 h",
        "3 h 20 min",
        "60 h",
    ]


# --- API -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_api(school, alice, api):
    api.force_authenticate(alice)
    return api


def body(today, **extra):
    return {
        "date": (today + days(7)).isoformat(),
        "start_time": "14:00",
        "end_time": "16:00",
        "location": "Room 4",
        **extra,
    }


def test_an_officer_schedules_seats_and_a_teacher_takes_attendance_over_the_api(
    school, admin_api, teacher, ada, pupils, today
):
    created = admin_api.post(API, body(today, date=today.isoformat(), teacher=ada.pk, capacity=3), format="json")
    assert created.status_code == 201, created.json()
    session = created.json()
    assert session["teacher"] == {"id": ada.pk, "name": "Ada Obi"}
    assert (session["capacity"], session["seats_taken"], session["seats_free"], session["minutes"]) == (3, 0, 3, 120)
    assert session["state"] == "scheduled" and session["seats"] == []
    url = f"{API}{session['id']}/"
    seated = admin_api.post(url + "assign/", {"students": [pupils[0].pk, pupils[1].pk]}, format="json")
    assert seated.status_code == 200
    assert seated.json()["assigned"] == [pupils[0].pk, pupils[1].pk] and seated.json()["already_assigned"] == []
    again = admin_api.post(url + "assign/", {"students": [pupils[1].pk, pupils[2].pk]}, format="json")
    assert again.json()["assigned"] == [pupils[2].pk] and again.json()["already_assigned"] == [pupils[1].pk]
    full = admin_api.post(url + "assign/", {"students": [pupils[3].pk]}, format="json")
    assert full.status_code == 409 and full.json()["error"]["code"] == "recovery_full"
    # the teacher reads it and takes attendance, but may not seat anyone
    api = APIClient()
    api.force_authenticate(teacher)
    assert api.get(url).json()["seats_taken"] == 3
    assert api.post(url + "assign/", {"students": [pupils[3].pk]}, format="json").status_code == 403
    marks = {"marks": [{"student": pupils[0].pk, "attended": True}, {"student": pupils[1].pk, "attended": False}]}
    taken = api.post(url + "attend/", marks, format="json")
    assert taken.status_code == 200
    seats = {seat["student"]["id"]: seat for seat in taken.json()["seats"]}
    assert (seats[pupils[0].pk]["attended"], seats[pupils[0].pk]["minutes_credited"]) == (True, 120)
    assert (seats[pupils[1].pk]["attended"], seats[pupils[2].pk]["attended"]) == (False, None)
    assert api.post(url + "cancel/", {}, format="json").status_code == 403
    cancelled = admin_api.post(url + "cancel/", {}, format="json")
    assert cancelled.status_code == 409 and cancelled.json()["error"]["code"] == "recovery_taken"


def test_bad_input_is_400_with_field_errors(school, admin_api, today):
    past = admin_api.post(API, body(today, date=(today - days(1)).isoformat()), format="json")
    assert past.status_code == 400 and past.json()["error"]["code"] == "recovery_invalid"
    assert list(past.json()["error"]["fields"]) == ["date"]
    backwards = admin_api.post(API, body(today, end_time="13:00"), format="json")
    assert backwards.json()["error"]["fields"] == {"end_time": ["The session must end after it starts."]}
    huge = admin_api.post(API, body(today, capacity=500), format="json")
    assert huge.status_code == 400 and "capacity" in huge.json()["error"]["fields"]
    assert not RecoverySession.objects.exists()


def test_idempotency_key_replays_the_creation(school, admin_api, today):
    first = admin_api.post(API, body(today), format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    replay = admin_api.post(API, body(today), format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    other = admin_api.post(API, body(today, capacity=9), format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert RecoverySession.objects.count() == 1


def test_list_filters_by_day_in_a_stable_order(school, alice, admin_api, today):
    later = create(school, alice, on=today + days(9))
    second = create(school, alice, on=today + days(2), start="15:00", end="16:00")
    first = create(school, alice, on=today + days(2), start="09:00", end="10:00")
    twin = create(school, alice, on=today + days(2), start="09:00", end="10:00", location="Library")
    everything = admin_api.get(API).json()
    assert [s["id"] for s in everything["results"]] == [first.pk, twin.pk, second.pk, later.pk]
    window = admin_api.get(API, {"from": (today + days(3)).isoformat(), "to": (today + days(9)).isoformat()})
    assert [s["id"] for s in window.json()["results"]] == [later.pk]
    paged = admin_api.get(API, {"page_size": 2, "page": 2}).json()
    assert paged["count"] == 4 and [s["id"] for s in paged["results"]] == [second.pk, later.pk]
    assert admin_api.get(API, {"from": "tomorrow"}).status_code == 400


def test_another_schools_ids_are_404(school, other_school, alice, admin_api, charlie, today):
    theirs = create(other_school, charlie)
    base = f"{API}{theirs.pk}/"
    assert admin_api.get(base).status_code == 404
    assert admin_api.post(base + "assign/", {"students": [1]}, format="json").status_code == 404
    assert admin_api.post(base + "attend/", {"marks": []}, format="json").status_code == 404
    assert admin_api.post(base + "cancel/", {}, format="json").status_code == 404
    rita = staff(other_school, "Rita", "Eze")
    foreign = admin_api.post(API, body(today, teacher=rita.pk), format="json")
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "teacher_not_found"
    mine = create(school, alice)
    stranger = other_school.students.get()
    answer = admin_api.post(f"{API}{mine.pk}/assign/", {"students": [stranger.pk]}, format="json")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "student_not_found"
    theirs.refresh_from_db()
    assert theirs.state == "scheduled" and not theirs.assignments.exists() and not mine.assignments.exists()


def test_outsiders_get_404(school, charlie, api):
    api.force_authenticate(charlie)
    assert api.get(API).status_code == 404


def test_a_pupil_marked_twice_is_refused(school, alice, admin_api, pupils, today):
    session = create(school, alice, on=today)
    assign(school, session, pupils[:1])
    marks = {"marks": [{"student": pupils[0].pk, "attended": True}, {"student": pupils[0].pk, "attended": False}]}
    answer = admin_api.post(f"{API}{session.pk}/attend/", marks, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["fields"] == {
        f"marks.{pupils[0].pk}": ["This pupil is marked twice."]
    }


def test_the_schema_describes_the_recovery_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    base = "/api/v1/schools/{school_slug}/recovery-sessions/"
    assert {"get", "post"} <= set(paths[base])
    assert {p["name"] for p in paths[base]["get"]["parameters"]} >= {"from", "to", "page", "state"}
    assert "get" in paths[base + "{id}/"]
    for action in ("assign", "attend", "cancel"):
        assert {"400", "403", "404", "409"} <= set(paths[f"{base}{{id}}/{action}/"]["post"]["responses"])
    assert "recovery_full" in paths[base + "{id}/assign/"]["post"]["responses"]["409"]["description"]


# --- Pages ---------------------------------------------------------------------------------------


def test_the_list_shows_seats_taken_of_capacity(school, alice, verified_client, pupils, today):
    soon = create(school, alice, on=today, capacity=4, location="Library")
    assign(school, soon, pupils[:2])
    past = create(school, alice, on=today - days(3), today=today - days(3), location="Old hall")
    services.recovery_session_cancel(school=school, session=create(school, alice, location="Gym"), actor=alice)
    page = verified_client(alice).get(PAGES)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Library" in text and "2 of 4" in text and "Cancelled" in text
    assert text.index("Library") < text.index("Gym") < text.index("Past sessions") < text.index("Old hall")
    assert f"{PAGES}{past.pk}/" in text


def test_an_officer_schedules_a_session_from_the_form(school, alice, verified_client, ada, today):
    client = verified_client(alice)
    form = client.get(f"{PAGES}new/")
    assert form.status_code == 200 and "Ada Obi" in form.content.decode()
    data = {
        "date": (today + days(2)).isoformat(),
        "start_time": "14:00",
        "end_time": "15:30",
        "location": "Room 2",
        "teacher": ada.pk,
        "capacity": 10,
    }
    refused_ = client.post(f"{PAGES}new/", {**data, "end_time": "13:00"})
    assert refused_.status_code == 400 and "The session must end after it starts." in refused_.content.decode()
    saved = client.post(f"{PAGES}new/", data)
    session = RecoverySession.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"{PAGES}{session.pk}/"
    assert (session.teacher, session.capacity, session.minutes) == (ada, 10, 90)


def test_an_officer_finds_pupils_seats_them_and_takes_attendance(school, alice, verified_client, pupils, today):
    session = create(school, alice, on=today, start="13:00", end="16:20", capacity=2)
    client = verified_client(alice)
    found = client.get(f"{PAGES}{session.pk}/", {"q": "kemi"})
    text = found.content.decode()
    assert "Kemi Adeyemi" in text and "Kemi Danjuma" in text and "GFAPupil" not in text
    by_number = client.get(
        f"{PAGES}{session.pk}/", {"q": "gfa/0003"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="pupil-results"
    )
    assert by_number.content.decode().lstrip().startswith('<div id="pupil-results"')
    assert "Kemi Bello" in by_number.content.decode() and "<html" not in by_number.content.decode()
    seated = client.post(f"{PAGES}{session.pk}/assign/", {"students": [pupils[1].pk, pupils[2].pk]})
    assert seated.status_code == 302
    full = client.post(f"{PAGES}{session.pk}/assign/?q=chukwu", {"students": [pupils[3].pk]})
    assert full.status_code == 409 and "All 2 seats are taken." in full.content.decode()
    # the search and the ticks are still there to choose again
    assert f'value="{pupils[3].pk}" checked' in full.content.decode()
    taken = client.post(
        f"{PAGES}{session.pk}/attend/", {"seat": [pupils[1].pk, pupils[2].pk], "attended": [pupils[1].pk]}
    )
    assert taken.status_code == 302
    marks = dict(session.assignments.values_list("student_id", "minutes_credited"))
    assert marks == {pupils[1].pk: 200, pupils[2].pk: 0}
    text = client.get(f"{PAGES}{session.pk}/").content.decode()
    assert "200 min" in text and "3 h 20 min to 1 pupil" in text


def test_a_teacher_takes_attendance_but_does_not_schedule_or_seat(
    school, alice, teacher, verified_client, pupils, today
):
    session = create(school, alice, on=today)
    assign(school, session, pupils[:1])
    client = verified_client(teacher)
    page = client.get(f"{PAGES}{session.pk}/")
    assert page.status_code == 200 and "Save attendance" in page.content.decode()
    assert "Seat pupils" not in page.content.decode()
    assert client.get(f"{PAGES}new/").status_code == 403
    assert client.post(f"{PAGES}{session.pk}/assign/", {"students": [pupils[1].pk]}).status_code == 403
    assert client.post(f"{PAGES}{session.pk}/cancel/").status_code == 403
    assert (
        client.post(f"{PAGES}{session.pk}/attend/", {"seat": [pupils[0].pk], "attended": [pupils[0].pk]}).status_code
        == 302
    )


def test_the_session_page_reads_a_constant_number_of_queries(school, alice, verified_client, pupils, today):
    session = create(school, alice, on=today)
    client = verified_client(alice)

    def queries(seated):
        assign(school, session, seated)
        take(school, session, [(pupil, True) for pupil in seated])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{PAGES}{session.pk}/", {"q": "kemi"}).status_code == 200
        return len(captured)

    assert queries(pupils[:1]) == queries(pupils[1:])


def test_another_schools_session_page_is_404(school, other_school, charlie, alice, verified_client):
    theirs = create(other_school, charlie)
    client = verified_client(alice)
    assert client.get(f"{PAGES}{theirs.pk}/").status_code == 404
    assert client.post(f"{PAGES}{theirs.pk}/cancel/").status_code == 404
    assert client.get(f"{PAGES}99999999999999999999/").status_code == 404


# --- Metrics -------------------------------------------------------------------------------------


def test_metrics_count_todays_and_later_sessions_not_cancelled(school, other_school, alice, charlie, today):
    create(school, alice, on=today)
    create(other_school, charlie, on=today, start="10:00", end="11:00")
    create(school, alice, on=today + days(1))
    services.recovery_session_cancel(school=school, session=create(school, alice, on=today + days(2)), actor=alice)
    create(school, alice, on=today - days(1), today=today - days(1))
    text = generate_latest(REGISTRY).decode()
    assert "classpoint_recovery_sessions_active 2.0" in text
    assert "classpoint_recovery_sessions_scheduled 1.0" in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_attendance_taken_at_ten_sessions_at_once_never_passes_the_cap(school, alice, today):
    # given a pupil seated in ten one-hour sessions today and a cap of five hours
    policy = codes.policy_for(school)
    policy.recovery_cap_minutes = 300
    policy.save()
    pupil = f.StudentFactory(school=school, admission_number="CAP/1")
    sessions = [
        create(school, alice, on=today, start=f"{8 + n:02d}:00", end=f"{9 + n:02d}:00", location=f"Room {n}")
        for n in range(10)
    ]
    for session in sessions:
        assign(school, session, [pupil])

    # when ten teachers take their session's attendance at the same moment
    def came(session):
        take(school, session, [(pupil, True)], alice)

    assert run_concurrently(came, sessions) == []

    # then the pupil is credited exactly the cap: five sessions in full, the others nothing
    credits = sorted(RecoveryAssignment.objects.filter(student=pupil).values_list("minutes_credited", flat=True))
    assert credits == [0] * 5 + [60] * 5
