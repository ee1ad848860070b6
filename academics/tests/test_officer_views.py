"""The attendance officer's pages: a day across the school, the missing registers, a pupil's history
and correcting one mark."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from academics.attendance import codes
from academics.models import AttendanceMark
from classpoint.models import AuditLog
from schools.tests import factories as f

from .factories import enrol_pupils, open_every_day, slot, staff, submit

pytestmark = pytest.mark.django_db
BASE = "/s/greenfield/attendance/"


@pytest.fixture
def ada(school):
    """JSS 1A's form teacher, who signs in as the teacher member."""
    return staff(school, "Ada", "Obi")


@pytest.fixture
def group(school, ada):
    group = school.class_groups.get(name="GFA JSS 1A")
    group.form_teacher = ada
    group.save()
    return group


@pytest.fixture
def pupils(school, attendance_term, group):
    return enrol_pupils(school, attendance_term, group, names=("Adeyemi", "Bello"), first_name="Pupil")


@pytest.fixture
def second_group(school, attendance_term):
    """JSS 2B, whose form teacher Bayo has no email on the staff list but has one to sign in with."""
    user = f.UserFactory(username="bayo@greenfield.test", email="bayo@greenfield.test")
    bayo = staff(school, "Bayo", "Lawal")
    bayo.user, bayo.phone = user, "+2348030000001"
    bayo.save()
    group = f.ClassGroupFactory(school=school, name="JSS 2B", level="JSS 2", form_teacher=bayo)
    f.enroll(f.StudentFactory(school=school, first_name="Chidi", last_name="Okoro"), attendance_term, group)
    return group


def mark_of(student, date):
    return AttendanceMark.objects.get(student=student, date=date, slot__isnull=True)


# --- the day ---------------------------------------------------------------------------------------


def test_the_day_shows_totals_every_register_and_the_absentees(
    school, officer, teacher, verified_client, group, second_group, pupils
):
    # given JSS 1A's register taken by the teacher (one absent, one late), JSS 2B's not taken
    teacher.first_name, teacher.last_name = "Ada", "Obi"
    teacher.save()
    a, b = pupils[1], pupils[2]
    submit(
        school,
        group,
        [{"student_id": a.pk, "code": "A"}, {"student_id": b.pk, "code": "L", "minutes_late": 20, "note": "bus"}],
        teacher,
    )
    today = school.local_today()
    # when the officer opens the day
    page = verified_client(officer).get(BASE + "day/")
    html = page.content.decode()
    # then the totals, both registers (taken by whom, or missing) and the absentees are there
    assert page.status_code == 200
    assert f"Attendance: {today:%A} {today.day} {today:%B %Y}" in html
    assert '<span class="tile-figure">1</span> present' in html
    assert '<span class="tile-figure">1</span> absent, unexcused' in html
    assert '<span class="tile-figure">1</span> late' in html
    assert "1 of 2 taken" in html
    register_url = reverse("attendance-register", args=["greenfield", group.pk, today])
    missing_url = reverse("attendance-register", args=["greenfield", second_group.pk, today])
    assert f'href="{register_url}">GFA JSS 1A: daily register</a>' in html
    assert f'href="{missing_url}">JSS 2B: daily register</a>' in html
    assert "Taken</span> by Ada Obi" in html and "Missing</span>" in html
    for pupil in (a, b):
        assert f'href="{BASE}students/{pupil.pk}/">{pupil.full_name}</a>' in html
    assert "20 min" in html and "“bus”" in html
    correct_url = reverse("attendance-mark-correct", args=["greenfield", mark_of(a, today).pk])
    assert correct_url in html
    assert pupils[0].full_name not in html  # present pupils are not listed
    # and the header links the officer's pages
    assert f'href="{BASE}completeness/"' in html and f'href="{BASE}day/" aria-current="page"' in html


def test_the_day_lists_each_lesson_with_its_register_link(school, officer, verified_client, group, pupils):
    policy = codes.policy_for(school)
    policy.mode = policy.Mode.BOTH
    policy.save()
    today = school.local_today()
    lesson = slot(school, class_group=group, subject="Physics", weekday=today.isoweekday(), start="11:00", end="12:00")
    html = verified_client(officer).get(BASE + "day/").content.decode()
    url = reverse("attendance-lesson-register", args=["greenfield", lesson.pk, today])
    assert f'href="{url}">GFA JSS 1A: Physics, 11:00–12:00</a>' in html
    assert "0 of 2 taken" in html


def test_another_day_by_the_query_string_and_htmx_gets_the_body_alone(school, officer, verified_client, group, pupils):
    client = verified_client(officer)
    yesterday = school.local_today() - datetime.timedelta(days=1)
    submit(school, group, [{"student_id": pupils[1].pk, "code": "E-ILL"}], officer, date=yesterday)
    page = client.get(BASE + "day/", {"date": yesterday.isoformat()}, HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200 and "<html" not in html
    assert "HX-Request" in page["Vary"]
    assert f"Attendance: {yesterday:%A} {yesterday.day}" in html and "Excused: illness" in html
    # without htmx, the same address is the whole page
    assert "<html" in client.get(BASE + "day/", {"date": yesterday.isoformat()}).content.decode()


def test_a_bad_date_says_so_and_shows_today(school, officer, verified_client, attendance_term):
    html = verified_client(officer).get(BASE + "day/", {"date": "2026-13-45"}).content.decode()
    today = school.local_today()
    assert "Enter a valid date." in html and f"{today:%A} {today.day} {today:%B %Y}" in html


def test_a_day_the_school_is_closed_asks_for_no_register(school, officer, verified_client, group, pupils):
    policy = codes.policy_for(school)
    policy.school_days = [day for day in range(1, 8) if day != school.local_today().isoweekday()]
    policy.save()
    html = verified_client(officer).get(BASE + "day/").content.decode()
    assert "the day has no registers" in html and "daily register" not in html


def test_the_day_takes_the_same_queries_however_many_classes(
    school, officer, verified_client, group, pupils, attendance_term
):
    client = verified_client(officer)
    submit(school, group, [{"student_id": pupils[1].pk, "code": "A"}], officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE + "day/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(4):
        more = f.ClassGroupFactory(school=school, name=f"JSS 3{n}", form_teacher=staff(school, "T", str(n)))
        pupil = f.StudentFactory(school=school)
        f.enroll(pupil, attendance_term, more)
        submit(school, more, [{"student_id": pupil.pk, "code": "A"}], officer)
    assert queries() == few


# --- completeness ----------------------------------------------------------------------------------


def test_completeness_lists_missing_registers_by_teacher_with_their_contact(
    school, officer, verified_client, group, second_group, pupils, ada
):
    ada.email, ada.title = "ada.obi@greenfield.test", "Mathematics teacher"
    ada.save()
    nobody = f.ClassGroupFactory(school=school, name="JSS 3C")
    f.enroll(f.StudentFactory(school=school), school.current_term(), nobody)
    html = verified_client(officer).get(BASE + "completeness/").content.decode()
    assert "3 of 3</strong> registers not taken yet" in html
    assert "Ada Obi" in html and 'href="mailto:ada.obi@greenfield.test"' in html and "Mathematics teacher" in html
    # Bayo's staff entry has no email: the one he signs in with reaches him
    assert 'href="mailto:bayo@greenfield.test"' in html and 'href="tel:+2348030000001"' in html
    assert "No teacher set" in html and "JSS 3C: daily register" in html
    # a taken register is no longer missing
    submit(school, group, [], officer)
    html = verified_client(officer).get(BASE + "completeness/").content.decode()
    assert "2 of 3</strong>" in html and "GFA JSS 1A: daily register" not in html and "Ada Obi" not in html


def test_completeness_when_everything_is_taken(school, officer, verified_client, group, pupils):
    submit(school, group, [], officer)
    html = verified_client(officer).get(BASE + "completeness/").content.decode()
    assert "All 1 register of the day is taken." in html


# --- permissions and tenancy -----------------------------------------------------------------------


def test_a_teacher_without_the_officers_permissions_gets_403(school, teacher, verified_client, group, pupils):
    client = verified_client(teacher)
    submit(school, group, [{"student_id": pupils[1].pk, "code": "A"}], teacher)
    mark = mark_of(pupils[1], school.local_today())
    for url in (
        BASE + "day/",
        BASE + "completeness/",
        f"{BASE}students/{pupils[1].pk}/",
        f"{BASE}marks/{mark.pk}/correct/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{BASE}marks/{mark.pk}/correct/", {"code": "P", "reason": "x"}).status_code == 403
    assert mark_of(pupils[1], school.local_today()).code.code == "A"
    assert not AuditLog.objects.filter(action="student.viewed").exists()


def test_view_attendance_alone_reads_a_history_but_not_the_day(school, verified_client, pupils):
    reader = f.member(school, "viewer")
    role = school.memberships.get(user=reader).role
    role.permissions = [*role.permissions, "academics.view_attendance"]
    role.save()
    client = verified_client(reader)
    page = client.get(f"{BASE}students/{pupils[1].pk}/")
    assert page.status_code == 200 and "Correct" not in page.content.decode()
    assert client.get(BASE + "day/").status_code == 403


def test_another_schools_student_and_mark_are_404(school, other_school, alice, verified_client, attendance_term):
    stranger = other_school.students.get()
    riverside_group = other_school.class_groups.get()
    open_every_day(other_school, days_back=5, days_ahead=0)
    today = other_school.local_today()
    submit(other_school, riverside_group, [{"student_id": stranger.pk, "code": "A"}], None)
    mark = mark_of(stranger, today)
    client = verified_client(alice)
    assert client.get(f"{BASE}students/{stranger.pk}/").status_code == 404
    assert client.get(f"{BASE}marks/{mark.pk}/correct/").status_code == 404
    assert client.post(f"{BASE}marks/{mark.pk}/correct/", {"code": "P", "reason": "mine now"}).status_code == 404
    assert mark_of(stranger, today).code.code == "A"
    assert not AuditLog.objects.filter(action="student.viewed").exists()


# --- a pupil's history -----------------------------------------------------------------------------


def test_the_history_shows_the_days_totals_rate_and_each_mark_and_logs_the_read(
    school, officer, teacher, verified_client, group, pupils
):
    # given three days: absent, late 10 minutes (with a note), present
    pupil, today = pupils[1], school.local_today()
    days = [today - datetime.timedelta(days=n) for n in (2, 1, 0)]
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], teacher, date=days[0])
    submit(
        school,
        group,
        [{"student_id": pupil.pk, "code": "L", "minutes_late": 10, "note": "missed the bus"}],
        teacher,
        date=days[1],
    )
    submit(school, group, [], teacher, date=days[2])
    # when the officer opens the pupil's attendance
    page = verified_client(officer).get(f"{BASE}students/{pupil.pk}/")
    html = page.content.decode()
    # then the rate, the totals by kind, the strip and the marks are there
    assert page.status_code == 200
    assert "66.7%" in html and "2 of 3 marked days at school" in html
    assert '<dt><span class="att-swatch" aria-hidden="true"></span>Absent (unexcused)</dt><dd>1 day</dd>' in html
    assert "Late</dt><dd>1 day</dd>" in html and "Present</dt><dd>1 day</dd>" in html
    for day, kind, code, label in zip(
        days,
        ("absent", "late", "present"),
        ("A", "L", "P"),
        ("Absent (unexcused)", "Late, 10 minutes", "Present"),
        strict=True,
    ):
        cell = f'<li class="att-day att-kind-{kind}" title="{day:%A} {day.day} {day:%B}'
        assert cell in html, day
        start = html.index(cell)
        chunk = html[start : html.index("</li>", start)]
        # a text label beside the colour: the code and, for screen readers, the words
        assert f'<span class="att-day-code">{code}</span>' in chunk and label in chunk
    assert "missed the bus" in html and "10 min" in html
    assert 'Marks other than present <span class="count">(2)</span>' in html
    assert reverse("attendance-mark-correct", args=["greenfield", mark_of(pupil, days[0]).pk]) in html
    # days before the first register are school days without a mark
    assert 'att-kind-none"' in html
    # and the read is in the pupil's access log, as the officer, from the workspace
    entry = AuditLog.objects.get(action="student.viewed", target_id=str(pupil.pk))
    assert entry.actor == officer and entry.changes == {"via": "workspace"}


def test_the_history_shows_every_mark_on_request_and_a_chosen_span(school, officer, verified_client, group, pupils):
    pupil, today = pupils[1], school.local_today()
    early = today - datetime.timedelta(days=10)
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], officer, date=early)
    submit(school, group, [], officer)
    client = verified_client(officer)
    html = client.get(f"{BASE}students/{pupil.pk}/", {"all": "1"}).content.decode()
    assert 'Every mark <span class="count">(2)</span>' in html
    # a span after the absence shows the present day only
    span = {"from": (today - datetime.timedelta(days=3)).isoformat(), "to": today.isoformat()}
    html = client.get(f"{BASE}students/{pupil.pk}/", span).content.decode()
    assert "100.0%" in html and f"{early:%A} {early.day} {early:%B}" not in html
    # a span that ends before it starts says so and shows the term so far
    html = client.get(f"{BASE}students/{pupil.pk}/", {"from": span["to"], "to": span["from"]}).content.decode()
    assert "“To” is before “From”." in html and "50.0%" in html
    assert AuditLog.objects.filter(action="student.viewed", target_id=str(pupil.pk)).count() == 3


def test_the_history_takes_the_same_queries_however_many_marks(school, officer, verified_client, group, pupils):
    client = verified_client(officer)
    pupil, today = pupils[1], school.local_today()
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{BASE}students/{pupil.pk}/", {"all": "1"}).status_code == 200
        return len(captured)

    few = queries()
    for n in range(1, 6):
        marker = f.member(school, "teacher", email=f"t{n}@greenfield.test")
        submit(
            school,
            group,
            [{"student_id": pupil.pk, "code": "L", "minutes_late": n}],
            marker,
            date=today - datetime.timedelta(days=n),
        )
    assert queries() == few


def test_the_pupil_page_links_to_the_history_for_who_may_read_it(school, officer, teacher, verified_client, pupils):
    url = f"/s/greenfield/students/{pupils[0].pk}/"
    history = f'href="{BASE}students/{pupils[0].pk}/">Attendance history</a>'
    assert history in verified_client(officer).get(url).content.decode()
    assert "Attendance history" not in verified_client(teacher).get(url).content.decode()


# --- correcting a mark -----------------------------------------------------------------------------


def test_a_correction_with_a_reason_changes_the_mark_and_goes_back_to_the_history(
    school, officer, teacher, verified_client, group, pupils
):
    pupil, yesterday = pupils[1], school.local_today() - datetime.timedelta(days=1)
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], teacher, date=yesterday)
    mark = mark_of(pupil, yesterday)
    client = verified_client(officer)
    form = client.get(f"{BASE}marks/{mark.pk}/correct/").content.decode()
    assert "Correct Pupil Adeyemi’s mark" in form and "GFA JSS 1A: daily register" in form
    assert '<option value="A" selected>A: Absent (unexcused)</option>' in form
    page = client.post(
        f"{BASE}marks/{mark.pk}/correct/",
        {"code": "E-ILL", "minutes_late": "", "note": "", "reason": "Mother phoned: flu"},
        follow=True,
    )
    assert page.redirect_chain == [(f"{BASE}students/{pupil.pk}/", 302)]
    assert (
        f"Pupil Adeyemi’s mark for {yesterday:%A} {yesterday.day} {yesterday:%B} is now E-ILL." in page.content.decode()
    )
    mark.refresh_from_db()
    assert mark.code.code == "E-ILL" and mark.kind == "excused" and mark.marked_by == officer
    entry = AuditLog.objects.get(action="attendance.register_edited")
    assert entry.actor == officer and entry.changes["reason"] == "Mother phoned: flu"


def test_a_correction_without_a_reason_changes_nothing(school, officer, verified_client, group, pupils):
    pupil, today = pupils[1], school.local_today()
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], officer)
    mark = mark_of(pupil, today)
    page = verified_client(officer).post(f"{BASE}marks/{mark.pk}/correct/", {"code": "P", "reason": "  "})
    html = page.content.decode()
    assert page.status_code == 400
    assert "Nothing was saved" in html and "Give the reason for the correction" in html
    assert 'class="field has-error"' in html  # beside the reason box
    assert mark_of(pupil, today).code.code == "A"
    assert not AuditLog.objects.filter(action="attendance.register_edited").exists()


def test_a_late_mark_without_minutes_is_refused_and_changes_nothing(school, officer, verified_client, group, pupils):
    pupil, today = pupils[1], school.local_today()
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], officer)
    mark = mark_of(pupil, today)
    page = verified_client(officer).post(f"{BASE}marks/{mark.pk}/correct/", {"code": "L", "reason": "came at 9"})
    assert page.status_code == 400 and "How many minutes late?" in page.content.decode()
    assert mark_of(pupil, today).code.code == "A"


def test_a_correction_to_the_same_mark_is_refused(school, officer, verified_client, group, pupils):
    pupil, today = pupils[1], school.local_today()
    submit(school, group, [{"student_id": pupil.pk, "code": "A"}], officer)
    mark = mark_of(pupil, today)
    # minutes mean nothing for an absence, and a note of spaces is no note
    page = verified_client(officer).post(
        f"{BASE}marks/{mark.pk}/correct/", {"code": "A", "minutes_late": "15", "note": "  ", "reason": "checking"}
    )
    assert page.status_code == 400 and "That is the mark it has already" in page.content.decode()
    assert not AuditLog.objects.filter(action="attendance.register_edited").exists()
