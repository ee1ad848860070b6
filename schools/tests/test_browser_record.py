"""A school admin works on pupils' records in a real headless Chromium: edits a pupil's name (the
profile keeps the old one), moves the pupil to another class, and withdraws another pupil."""

from classpoint.browser_testing import BROWSER_MARKS, new_page, settled, shot, sign_in_with_totp

pytestmark = BROWSER_MARKS


def test_a_school_admin_edits_a_pupil_moves_class_and_withdraws_another(live_server, school, alice, chromium):
    from schools.models import ClassGroup, Enrollment
    from schools.tests import factories as f

    term = school.current_term()
    ClassGroup.objects.create(school=school, name="GFA JSS 1B", level="JSS 1")
    leaver = f.StudentFactory(school=school, admission_number="GFA/0002", first_name="Tobi", last_name="Adewale")
    f.enroll(leaver, term, school.class_groups.get(name="GFA JSS 1A"))
    pupil = school.students.get(admission_number="GFA/0001")
    base = live_server.url
    page = new_page(chromium, viewport={"width": 1366, "height": 900})
    sign_in_with_totp(page, base, alice)

    # The pupil's record, from the students list.
    page.get_by_role("link", name="Students", exact=True).click()
    page.get_by_role("link", name=f"{pupil.last_name}, GFAPupil").click()
    page.get_by_role("heading", name="Profile", exact=True).wait_for()

    # Edit the name: the profile then shows the old one under the earlier names.
    page.get_by_role("link", name="Edit the profile").click()
    page.get_by_label("First name").fill("Adaeze")
    page.get_by_role("button", name="Save the profile").click()
    page.get_by_text("Profile saved.").wait_for()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Adaeze")
    earlier = page.locator("table", has=page.get_by_role("columnheader", name="Was")).inner_text()
    assert "GFAPupil" in earlier and "Adaeze" in earlier and "First name" in earlier
    shot(page, "record-profile")

    # Move class from the Enrolment tab.
    page.get_by_role("navigation", name="Adaeze").get_by_role("link", name="Enrolment").click()
    page.get_by_label("Move to class").select_option(label="GFA JSS 1B (0 of 40 places taken)")
    page.get_by_role("button", name="Move Adaeze").click()
    page.get_by_text("moved to GFA JSS 1B from today").wait_for()
    settled(page)
    history = page.locator("table").first.inner_text()
    assert "Moved to GFA JSS 1B" in history
    assert "GFA JSS 1B" in page.locator(".record-header").inner_text()
    assert Enrollment.objects.get(student=pupil, status="active").class_group.name == "GFA JSS 1B"
    shot(page, "record-enrolment")

    # Withdraw another pupil, with a date after today refused first.
    page.goto(f"{base}/s/greenfield/students/{leaver.pk}/enrolment/")
    tomorrow = school.local_today().toordinal() + 1
    page.get_by_label("Left on").fill(type(school.local_today()).fromordinal(tomorrow).isoformat())
    page.get_by_label("Reason for leaving").fill("Relocated to Abuja")
    page.get_by_role("button", name="Withdraw Tobi").click()
    page.get_by_text("Nothing was saved.").wait_for()
    assert "cannot be after today" in page.locator("#id_withdraw-left_on_error").inner_text()
    page.get_by_label("Left on").fill(school.local_today().isoformat())
    page.get_by_role("button", name="Withdraw Tobi").click()
    page.get_by_text("Tobi Adewale withdrawn.").wait_for()
    header = page.locator(".record-header").inner_text()
    assert "Withdrawn" in header and "Relocated to Abuja" in header
    assert page.get_by_role("button", name="Re-admit Tobi").is_visible()
    leaver.refresh_from_db()
    assert (leaver.status, leaver.leaving_reason) == ("withdrawn", "Relocated to Abuja")
    shot(page, "record-withdrawn")

    # On a phone the record reads without sideways scrolling.
    phone = new_page(chromium, viewport={"width": 375, "height": 800}, is_mobile=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/s/greenfield/students/{pupil.pk}/enrolment/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone, "record-phone")
