"""The slot form in a real headless Chromium: clashes show as the fields change, before saving."""

from academics.models import ScheduleSlot
from classpoint.browser_testing import BROWSER_MARKS

from .factories import slot, staff

pytestmark = BROWSER_MARKS


def test_admin_sees_a_clash_inline_then_adds_the_lesson_elsewhere(
    live_server, school, alice, verified_client, browser_page
):
    # given Ada teaching JSS 1A on Monday 09:00–10:00, and an admin signed in (TOTP passed)
    ada = staff(school, "Ada", "Obi")
    slot(school, teacher=ada)
    other = school.class_groups.create(school=school, name="JSS 2B", level="JSS 2")
    session = verified_client(alice).cookies["sessionid"].value
    page = browser_page
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    # when she fills a new lesson for JSS 2B with Ada at 09:30
    page.goto(f"{live_server.url}/s/greenfield/timetable/slots/new/")
    page.get_by_label("Class group").select_option(label="JSS 2B")
    page.get_by_label("Subject").fill("Physics")
    page.get_by_label("Day").select_option(label="Monday")
    page.get_by_label("Starts").fill("09:30")
    page.get_by_label("Ends").fill("10:30")
    page.get_by_label("Teacher").select_option(label="Ada Obi")
    # then the clash shows before anything is saved
    clashes = page.locator("#conflicts")
    clashes.get_by_text("Ada Obi already teaches GFA JSS 1A Mathematics on Monday 09:00–10:00.").wait_for()
    assert not ScheduleSlot.objects.filter(class_group=other).exists()
    # when she moves it to Tuesday, the warning clears, and saving puts it on the grid
    page.get_by_label("Day").select_option(label="Tuesday")
    clashes.get_by_text("No clashes").wait_for()
    page.get_by_role("button", name="Add lesson").click()
    page.get_by_role("heading", name="Timetable: JSS 2B").wait_for()
    grid = page.get_by_role("table")
    assert "Physics" in grid.inner_text() and "Ada Obi" in grid.inner_text()
    assert ScheduleSlot.objects.get(class_group=other).weekday == 2
