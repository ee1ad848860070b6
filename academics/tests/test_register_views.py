"""The teacher's registers in the workspace: the day's list, the register page, submitting it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academics.attendance import codes, registers
from academics.models import AttendanceMark, Register
from classpoint.models import AuditLog
from schools.models import Enrollment, Membership, Role, StaffProfile
from schools.tests import factories as f

from .factories import enrol_pupils, slot

pytestmark = pytest.mark.django_db
BASE = "/s/greenfield/attendance/"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def me(school, teacher):
    """The signed-in teacher's own entry on the staff list."""
    return StaffProfile.objects.create(school=school, first_name="Ada", last_name="Obi", user=teacher)


@pytest.fixture
def group(school, me):
    group = school.class_groups.get(name="GFA JSS 1A")
    group.form_teacher = me
    group.save()
    return group


@pytest.fixture
def pupils(school, attendance_term, group):
    return enrol_pupils(school, attendance_term, group, first_name="Kid")


@pytest.fixture
def other_group(school, attendance_term):
    """Another class, with its own form teacher and a pupil: a cover register for our teacher."""
    group = f.ClassGroupFactory(school=school, name="GFA JSS 1B")
    group.form_teacher = StaffProfile.objects.create(school=school, first_name="Bayo", last_name="Eze")
    group.save()
    f.enroll(f.StudentFactory(school=school, last_name="Zubairu"), attendance_term, group)
    return group


def today(school):
    return school.local_today()


def register_url(group, day):
    return f"{BASE}classes/{group.pk}/{day.isoformat()}/"


def marks_form(pupils, rows=None):
    """The form as the page posts it: every pupil P, but for `rows` {pupil index: (code, minutes, note)}."""
    data = {}
    for index, pupil in enumerate(pupils):
        code, minutes, note = (rows or {}).get(index, ("P", "", ""))
        data |= {f"code-{pupil.pk}": code, f"minutes-{pupil.pk}": minutes, f"note-{pupil.pk}": note}
    return data


def test_todays_list_shows_the_teachers_registers_first_and_the_rest_for_cover(
    school, teacher, verified_client, group, pupils, other_group
):
    page = verified_client(teacher).get(BASE)
    html = page.content.decode()
    assert page.status_code == 200
    mine, others = html.split("Other registers of the day")
    assert "GFA JSS 1A: daily register" in mine and "GFA JSS 1B" not in mine
    assert '<strong class="reg-outstanding-figure">1</strong> of 1 not taken yet' in mine
    assert "GFA JSS 1B: daily register" in others
    assert register_url(group, today(school)) in mine and register_url(other_group, today(school)) in others
    # the nav names the page
    assert 'aria-current="page">Attendance</a>' in html


def test_a_taken_register_says_who_took_it_and_when(school, teacher, verified_client, group, pupils):
    registers.register_submit(school=school, class_group=group, date=today(school), marks=[], actor=teacher)
    html = verified_client(teacher).get(BASE).content.decode()
    assert "All 1 taken" in html and "Taken</span>" in html and f"by {teacher.get_username()}" in html


def test_an_attendance_officer_sees_every_register_of_the_school(school, verified_client, group, pupils, other_group):
    officer = f.member(school, "attendance_officer")
    html = verified_client(officer).get(BASE).content.decode()
    assert "The school’s registers" in html and "2</strong> of 2 not taken yet" in html
    assert "GFA JSS 1A: daily register" in html and "GFA JSS 1B: daily register" in html


def test_a_lesson_register_is_listed_for_the_teacher_who_teaches_it(
    school, teacher, verified_client, me, group, attendance_term
):
    policy = codes.policy_for(school)
    policy.mode = policy.Mode.BOTH
    policy.save()
    lesson = slot(school, class_group=group, teacher=me, term=attendance_term, weekday=today(school).isoweekday())
    html = verified_client(teacher).get(BASE).content.decode()
    assert "GFA JSS 1A: Mathematics, 09:00–10:00" in html and "2</strong> of 2 not taken yet" in html
    page = verified_client(teacher).get(f"{BASE}lessons/{lesson.pk}/{today(school).isoformat()}/")
    assert page.status_code == 200 and "Register: GFA JSS 1A Mathematics" in page.content.decode()


def test_a_day_the_school_is_closed_says_so_and_offers_the_last_school_day(
    school, teacher, verified_client, group, attendance_term
):
    policy = codes.policy_for(school)
    policy.school_days = [day for day in range(1, 8) if day != today(school).isoweekday()]
    policy.save()
    html = verified_client(teacher).get(BASE).content.decode()
    assert f"The school does not open on {today(school):%A}s" in html
    assert f"?date={(today(school) - DAY).isoformat()}" in html and "the last school day" in html
    # a day outside the term
    before = attendance_term.start_date - 3 * DAY
    html = verified_client(teacher).get(BASE, {"date": before.isoformat()}).content.decode()
    assert "is outside the school&#x27;s terms, so it has no registers" in html
    assert "No earlier school day to offer" in html


def test_another_days_list_comes_as_a_fragment_for_htmx(school, teacher, verified_client, group, pupils):
    yesterday = today(school) - DAY
    response = verified_client(teacher).get(BASE, {"date": yesterday.isoformat()}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and f"Registers of {yesterday:%A} {yesterday.day}" in html
    assert register_url(group, yesterday) in html
    assert "HX-Request" in response["Vary"]


def test_the_register_lists_the_pupils_of_that_day_everyone_present_by_default(
    school, teacher, verified_client, group, pupils, other_group, attendance_term
):
    # given a pupil who left the class yesterday
    gone = Enrollment.objects.get(student=pupils[3])
    gone.status, gone.ended_on = Enrollment.Status.ENDED, today(school) - DAY
    gone.save()
    page = verified_client(teacher).get(register_url(group, today(school)))
    html = page.content.decode()
    assert page.status_code == 200
    for pupil in pupils[:3]:
        assert f'name="code-{pupil.pk}" value="P" data-kind="present" data-key="p" checked' in html
    assert f"code-{pupils[3].pk}" not in html and "Zubairu" not in html
    assert "Not taken yet" in html and "Submit register" in html
    assert html.count('data-count="present">3<') == 1
    # the school's active codes, each with its key
    assert 'value="E-ILL" data-kind="excused" data-key="i"' in html
    assert 'name="reason"' not in html  # today's register needs no reason


def test_submitting_marks_the_pupils_and_goes_back_to_the_days_list(school, teacher, verified_client, group, pupils):
    client = verified_client(teacher)
    data = marks_form(pupils, {1: ("A", "", ""), 2: ("L", "20", "bus broke down")})
    response = client.post(register_url(group, today(school)), {k: v for k, v in data.items()})
    assert response.status_code == 302 and response["Location"] == BASE
    marks = {m.student_id: m for m in AttendanceMark.objects.filter(register__class_group=group)}
    assert marks[pupils[1].pk].kind == "absent"
    assert (marks[pupils[2].pk].kind, marks[pupils[2].pk].minutes_late) == ("late", 20)
    assert marks[pupils[2].pk].note == "bus broke down"
    register = Register.objects.get(class_group=group)
    assert register.submitted_by == teacher and register.teacher.user == teacher
    page = client.get(BASE).content.decode()
    assert "Register of GFA JSS 1A taken: 2 present, 1 absent, 1 late." in page


def test_htmx_submission_redirects_with_hx_redirect(school, teacher, verified_client, group, pupils):
    response = verified_client(teacher).post(
        register_url(group, today(school)), marks_form(pupils), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Redirect"] == BASE
    assert Register.objects.get(class_group=group).marks.count() == len(pupils)


def test_bad_marks_come_back_beside_their_rows_and_nothing_is_saved(school, teacher, verified_client, group, pupils):
    data = marks_form(pupils, {1: ("L", "", ""), 2: ("ZZ", "", "")})
    response = verified_client(teacher).post(register_url(group, today(school)), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in html
    late_row = html.split(f'id="pupil-{pupils[1].pk}"')[1].split('class="reg-row')[0]
    assert "How many minutes late?" in late_row and 'value="L" data-kind="late" data-key="l" checked' in late_row
    bad_row = html.split(f'id="pupil-{pupils[2].pk}"')[1].split('class="reg-row')[0]
    assert "is not one of the school" in bad_row
    # what the teacher chose stays chosen, and the counts say so
    assert 'data-count="late">1<' in html
    assert not Register.objects.exists() and not AttendanceMark.objects.exists()


def test_a_pupil_of_another_class_cannot_be_slipped_into_the_register(
    school, teacher, verified_client, group, pupils, other_group
):
    stranger = Enrollment.objects.get(class_group=other_group).student
    data = marks_form(pupils) | {f"code-{stranger.pk}": "A"}
    response = verified_client(teacher).post(register_url(group, today(school)), data)
    assert response.status_code == 400 and "This pupil is not on this register." in response.content.decode()
    assert not AttendanceMark.objects.exists()


def test_a_closed_days_register_changes_only_with_a_reason(school, teacher, verified_client, group, pupils):
    client = verified_client(teacher)
    yesterday = today(school) - DAY
    url = register_url(group, yesterday)
    assert client.post(url, marks_form(pupils)).status_code == 302
    page = client.get(url).content.decode()
    assert 'name="reason"' in page and ">Reason for the change</label>" in page
    assert "Save changes" in page and "a change needs a reason" in page
    # when the teacher changes a mark without saying why
    changed = marks_form(pupils, {0: ("E-ILL", "", "note from home")})
    response = client.post(url, changed)
    assert response.status_code == 400 and "give the reason for the change" in response.content.decode()
    assert AttendanceMark.objects.get(student=pupils[0]).code.code == "P"
    # then with a reason the change is saved and audited with it
    response = client.post(url, changed | {"reason": "Mother phoned: malaria"})
    assert response.status_code == 302 and response["Location"] == f"{BASE}?date={yesterday.isoformat()}"
    assert AttendanceMark.objects.get(student=pupils[0]).code.code == "E-ILL"
    entry = AuditLog.objects.get(action="attendance.register_edited")
    assert entry.changes["reason"] == "Mother phoned: malaria"


def test_a_future_day_or_a_lesson_not_on_that_day_has_no_register(school, teacher, verified_client, group, pupils, me):
    client = verified_client(teacher)
    response = client.get(register_url(group, today(school) + DAY))
    assert response.status_code == 404 and "is in the future" in response.content.decode()
    other_day = today(school).isoweekday() % 7 + 1
    lesson = slot(school, class_group=group, teacher=me, weekday=other_day)
    response = client.get(f"{BASE}lessons/{lesson.pk}/{today(school).isoformat()}/")
    assert response.status_code == 404 and "is not taught on" in response.content.decode()
    assert client.get(f"{BASE}classes/{group.pk}/2026-02-31/").status_code == 404
    assert client.get(f"{BASE}classes/{group.pk}/yesterday/").status_code == 404


def test_another_schools_class_or_lesson_is_a_404(school, other_school, teacher, verified_client, pupils):
    theirs = other_school.class_groups.first()
    their_lesson = slot(other_school, class_group=theirs, weekday=today(school).isoweekday())
    client = verified_client(teacher)
    day = today(school).isoformat()
    assert client.get(f"{BASE}classes/{theirs.pk}/{day}/").status_code == 404
    assert client.post(f"{BASE}classes/{theirs.pk}/{day}/", {}).status_code == 404
    assert client.get(f"{BASE}lessons/{their_lesson.pk}/{day}/").status_code == 404
    # and a member of the other school does not find Greenfield's registers at all
    charlie = f.member(other_school, "school_admin", email="charlie@riverside.test")
    group = school.class_groups.get(name="GFA JSS 1A")
    assert verified_client(charlie).get(f"{BASE}classes/{group.pk}/{day}/").status_code == 404
    assert not Register.objects.exists()


def test_a_member_who_takes_no_registers_is_refused(school, verified_client, group, pupils):
    viewer = f.member(school, "viewer")
    client = verified_client(viewer)
    assert client.get(BASE).status_code == 403
    assert client.get(register_url(group, today(school))).status_code == 403
    assert client.post(register_url(group, today(school)), marks_form(pupils)).status_code == 403
    assert not Register.objects.exists()
    assert "Attendance</a>" not in client.get("/s/greenfield/students/").content.decode()


def test_a_teachers_home_shows_todays_registers_with_the_count_not_taken(
    school, teacher, verified_client, group, pupils
):
    html = verified_client(teacher).get("/s/greenfield/").content.decode()
    assert "Today’s registers" in html and '<strong class="reg-outstanding-figure">1</strong> of 1' in html
    assert register_url(group, today(school)) in html


def test_a_member_without_the_permission_sees_no_registers_panel_at_home(school, verified_client, group, pupils):
    role = Role.objects.create(school=school, key="reader", name="Reader", permissions=["students.view"])
    reader = f.UserFactory(username="reader@greenfield.test")
    Membership.objects.create(school=school, user=reader, role=role)
    html = verified_client(reader).get("/s/greenfield/").content.decode()
    assert "Today’s registers" not in html and "Attendance</a>" not in html


def test_the_register_page_takes_the_same_queries_however_many_pupils(
    school, teacher, verified_client, group, attendance_term
):
    client = verified_client(teacher)
    url = register_url(group, today(school))
    registers.register_submit(school=school, class_group=group, date=today(school), marks=[], actor=teacher)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    more = [f.StudentFactory(school=school, last_name=f"Pupil{n}") for n in range(15)]
    for pupil in more:
        f.enroll(pupil, attendance_term, group)
    registers.register_submit(
        school=school,
        class_group=group,
        date=today(school),
        marks=[{"student_id": pupil.pk, "code": "A"} for pupil in more],
        actor=teacher,
    )
    assert queries() == few
