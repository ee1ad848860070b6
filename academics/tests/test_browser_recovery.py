"""A recovery session in a real headless Chromium: an officer finds pupils as she types, seats them,
takes attendance with the checkboxes and reads the credited minutes; on a phone the pages fit the
screen.

With CLASSPOINT_SHOTS=<folder>, the pages are also saved there at 1366 and 390 px wide, for a person
to look at."""

import datetime

from academics.models import RecoveryAssignment
from academics.recovery import services
from classpoint.browser_testing import BROWSER_MARKS, new_page, settled
from classpoint.browser_testing import shot as save_shot
from schools.tests import factories as f

from .factories import staff, t

pytestmark = BROWSER_MARKS


def test_an_officer_seats_pupils_and_credits_their_minutes(live_server, school, alice, verified_client, chromium):
    today = school.local_today()
    for name in ("Adeyemi", "Bello", "Chukwu-Nwachukwuogbunike"):
        f.StudentFactory(school=school, first_name="Kemi", last_name=name)
    session = services.recovery_session_create(
        school=school,
        actor=alice,
        date=today,
        start_time=t("13:00"),
        end_time=t("16:20"),
        location="Library, upstairs reading room",
        teacher=staff(school, "Ada", "Obi"),
        capacity=3,
    )
    services.recovery_session_create(
        school=school,
        actor=alice,
        date=today + datetime.timedelta(days=7),
        start_time=t("09:00"),
        end_time=t("12:00"),
        location="Hall",
    )
    cookie = verified_client(alice).cookies["sessionid"].value
    base = live_server.url
    page = new_page(chromium, viewport={"width": 1366, "height": 900})
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])

    # the list shows today's session with its seats
    page.goto(f"{base}/s/greenfield/attendance/recovery/")
    row = page.get_by_role("row").filter(has_text="Library")
    assert "0 of 3" in row.inner_text()
    save_shot(page, "recovery_list_1366.png")
    row.get_by_role("link").click()
    page.get_by_role("heading", name="Recovery session:").wait_for()

    # typing in the search finds pupils without a reload
    page.get_by_label("Find a pupil").fill("kemi")
    results = page.locator("#pupil-results")
    results.get_by_text("Kemi Bello").wait_for()
    settled(page)
    results.get_by_label("Kemi Adeyemi").check()
    results.get_by_label("Kemi Bello").check()
    page.get_by_role("button", name="Seat the ticked pupils").click()
    page.get_by_text("Seated: Kemi Adeyemi, Kemi Bello.").wait_for()

    # attendance: Adeyemi came, Bello did not
    page.get_by_label("Came: Kemi Adeyemi").check()
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved: 1 of 2 came.").wait_for()
    assert "200 min" in page.get_by_role("row").filter(has_text="Kemi Adeyemi").inner_text()
    credits = dict(RecoveryAssignment.objects.values_list("student__last_name", "minutes_credited"))
    assert credits == {"Adeyemi": 200, "Bello": 0}
    save_shot(page, "recovery_session_1366.png")

    # on a phone both pages fit the screen: no sideways scrolling
    phone = new_page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.context.add_cookies(page.context.cookies())
    for url, shot in (
        (page.url, "recovery_session_390.png"),
        (f"{base}/s/greenfield/attendance/recovery/", "recovery_list_390.png"),
    ):
        phone.goto(url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, url
        save_shot(phone, shot)
    phone.goto(page.url)
    phone.get_by_label("Find a pupil").fill("chukwu")
    phone.locator("#pupil-results").get_by_text("Kemi Chukwu-Nwachukwuogbunike").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    save_shot(phone, "recovery_search_390.png")
    assert session.assignments.count() == 2
