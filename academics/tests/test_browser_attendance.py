"""A teacher's morning register in a real headless Chromium: signs in, sees today's registers, takes
one with the keyboard alone (two absent, one late), submits, and reads the counts; on a phone the
register fits the screen.

With CLASSPOINT_SHOTS=<folder>, the register page is also saved there at 1366 and 390 px wide, for
a person to look at."""

import pytest

from academics.models import AttendanceMark
from classpoint.browser_testing import BROWSER_MARKS, new_page, shot
from schools.models import StaffProfile, Student
from schools.tests import factories as f

pytestmark = BROWSER_MARKS
NAMES = ["Adeyemi", "Bello", "Chukwu", "Danjuma", "Eze"]


@pytest.fixture
def register_day(school, teacher, attendance_term):
    """Today a school day in the term; the teacher is JSS 1A's form teacher, six pupils in it."""
    group = school.class_groups.get(name="GFA JSS 1A")
    group.form_teacher = StaffProfile.objects.create(school=school, first_name="Ada", last_name="Obi", user=teacher)
    group.save()
    for name in NAMES:
        f.enroll(f.StudentFactory(school=school, first_name="Kid", last_name=name), attendance_term, group)
    # In the register's order (by surname): the fixture's pupil ("Last…") comes after the five above.
    return group


def _focused_pupil(page):
    return page.evaluate("document.activeElement.closest('.reg-row').querySelector('.reg-name').innerText")


def test_a_teacher_takes_todays_register_with_the_keyboard(live_server, school, teacher, register_day, chromium):
    base = live_server.url
    page = new_page(chromium, viewport={"width": 1366, "height": 900})
    # The teacher signs in: the home page shows today's register, not taken.
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email or username").fill(teacher.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/s/greenfield/")
    panel = page.locator("section.reg-panel")
    assert "1 of 1 not taken yet" in " ".join(panel.inner_text().split())
    # Attendance in the nav: today's registers, then the class's register.
    page.get_by_role("navigation", name="School").get_by_role("link", name="Attendance").click()
    page.get_by_role("heading", name="Today’s registers").wait_for()
    page.get_by_role("link", name="GFA JSS 1A: daily register").click()
    page.get_by_role("heading", name="Register: GFA JSS 1A").wait_for()
    shot(page, "register_1366_new.png", full_page=False)

    # The first pupil has the focus (once the page's script has run); one key a pupil.
    page.wait_for_function("document.activeElement && document.activeElement.closest('.reg-row') !== null")
    assert _focused_pupil(page).startswith("Adeyemi, Kid")
    page.keyboard.press("a")  # Adeyemi absent, on to Bello
    assert _focused_pupil(page).startswith("Bello, Kid")
    page.keyboard.press("j")  # Bello stays present
    page.keyboard.press("a")  # Chukwu absent, on to Danjuma
    page.keyboard.press("l")  # Danjuma late: the minutes come up
    assert page.evaluate("document.activeElement.name") == f"minutes-{Student.objects.get(last_name='Danjuma').pk}"
    page.keyboard.type("20")
    page.keyboard.press("Enter")  # on to Eze
    assert _focused_pupil(page).startswith("Eze, Kid")
    counts = " ".join(page.locator(".reg-counts").inner_text().split())
    assert counts == "3 present 2 absent 1 late 0 excused"
    shot(page, "register_1366.png", full_page=False)
    page.keyboard.press("ArrowDown")  # the last pupil
    page.keyboard.press("Enter")  # submits

    page.get_by_text("Register of GFA JSS 1A taken: 3 present, 2 absent, 1 late.").wait_for()
    assert "All 1 taken" in page.locator("main").inner_text()
    marks = {m.student.last_name: m for m in AttendanceMark.objects.select_related("student")}
    assert {name for name, m in marks.items() if m.kind == "absent"} == {"Adeyemi", "Chukwu"}
    assert (marks["Danjuma"].kind, marks["Danjuma"].minutes_late) == ("late", 20)
    assert len(marks) == 6

    # On a phone the register fits the screen: no sideways scrolling.
    phone = new_page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    phone.get_by_role("link", name="GFA JSS 1A: daily register").click()
    phone.get_by_role("heading", name="Register: GFA JSS 1A").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("#register-form").bounding_box()["width"] <= 390
    shot(phone, "register_390.png", full_page=False)


def test_a_refused_register_comes_back_in_place_with_the_error_beside_the_pupil(
    live_server, school, teacher, register_day, verified_client, chromium
):
    page = new_page(chromium, viewport={"width": 1366, "height": 900})
    session = verified_client(teacher).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page.goto(f"{live_server.url}/s/greenfield/attendance/classes/{register_day.pk}/{school.local_today()}/")
    page.wait_for_function("document.activeElement && document.activeElement.closest('.reg-row') !== null")
    # Adeyemi late, but no minutes given; Enter down to the last pupil submits.
    page.keyboard.press("l")
    for _ in range(6):
        page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "Adeyemi, Kid: How many minutes late?" in " ".join(summary.inner_text().split())
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
    row = page.locator(".reg-row", has=page.get_by_text("Adeyemi, Kid"))
    assert "How many minutes late?" in row.inner_text() and row.get_attribute("data-kind") == "late"
    assert not AttendanceMark.objects.exists()
    # The minutes given, the register goes through.
    row.get_by_label("Minutes late").fill("35")
    page.get_by_role("button", name="Submit register").click()
    page.get_by_text("Register of GFA JSS 1A taken: 5 present, 1 late.").wait_for()
    assert AttendanceMark.objects.get(student__last_name="Adeyemi").minutes_late == 35
