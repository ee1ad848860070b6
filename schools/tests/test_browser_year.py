"""The year-end rollover in a real headless Chromium: a school admin opens it, reads the dry run,
sends one class elsewhere, sees the dry run again, confirms, and finds the new session's first term
current."""

from classpoint.browser_testing import BROWSER_MARKS, new_page, shot, sign_in_with_totp
from schools.models import Rollover
from schools.tests.rollover_setup import end_of_session

pytestmark = BROWSER_MARKS


def test_an_admin_rolls_the_school_into_the_next_session_with_a_dry_run_first(live_server, school, alice, chromium):
    # given Greenfield in the last term of 2026/2027, with pupils in five classes
    year = end_of_session(school)
    base = live_server.url
    page = new_page(chromium, viewport={"width": 1366, "height": 900})
    sign_in_with_totp(page, base, alice)

    # when she opens the school year and its rollover
    page.goto(f"{base}/s/greenfield/year/")
    page.get_by_role("link", name="Year-end rollover").first.click()
    dry_run = page.locator("#dry-run")
    # then the dry run of the default plan is shown before anything is done
    assert "No problems: the rollover can be confirmed." in dry_run.inner_text()
    assert "3 promoted to JSS 2A" in page.locator(f"#class-{year.classes['JSS 1A'].pk}").inner_text()
    assert page.get_by_label("Name of the new session").input_value() == "2027/2028"
    shot(page, "rollover-dry-run")

    # when she sends JSS 1A to JSS 2B instead and updates the dry run
    page.get_by_label("Next year JSS 1A goes to").select_option(label="JSS 2B")
    page.get_by_role("button", name="Update the dry run").click()
    # then the dry run shows it, and still nothing has been done
    assert "3 promoted to JSS 2B" in page.locator(f"#class-{year.classes['JSS 1A'].pk}").inner_text()
    assert "JSS 2B" in page.locator("#dry-run").inner_text()
    assert not Rollover.objects.filter(school=school).exists()

    # when she confirms
    page.get_by_role("button", name="Confirm the rollover").click()
    page.wait_for_url("**/s/greenfield/year/")
    # then she sees the new session's first term as the current term
    main = page.locator("main").inner_text()
    assert "Rolled over into 2027/2028" in main
    assert "Current term: First term of 2027/2028" in main
    shot(page, "rollover-done")
    assert {
        e.class_group.name for e in school.enrollments.filter(student__in=year.pupils["JSS 1A"], status="active")
    } == {"JSS 2B"}
