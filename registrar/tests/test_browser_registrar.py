"""An application from the public form to an enrolled student, in a real headless Chromium: a family
applies with a document, the registrar sees it on the dashboard and the board, moves it by keyboard,
meets a timetable clash in the Class tab, places the child without one, approves with an invoice and
enrols; the student exists."""

import datetime
import re

import pytest

from classpoint.browser_testing import BROWSER_MARKS, new_page, settled

pytestmark = BROWSER_MARKS


@pytest.fixture
def timetable(school):
    """JSS 1A's Monday: Mathematics 09:00 and Basic Science 11:00; the parallel JSS 1B has English
    at 09:30, which overlaps Mathematics."""
    from academics.tests import factories as t
    from registrar.tests import factories as rf
    from schools.tests import factories as f

    group = school.class_groups.get()
    parallel = f.ClassGroupFactory(school=school, name="GFA JSS 1B", level="JSS 1")
    teacher = t.staff(school, "Ada", "Obi")
    t.slot(school, class_group=group, subject="Mathematics", start="09:00", end="10:00", teacher=teacher)
    t.slot(school, class_group=parallel, subject="English", start="09:30", end="10:30")
    t.slot(school, class_group=group, subject="Basic Science", start="11:00", end="12:00")
    rf.fee_schedule(school, group, amount_minor=12_000_000)
    return group


def test_from_the_public_form_to_an_enrolled_student(live_server, school, registrar, timetable, chromium):
    from academics.models import SlotSeat
    from registrar.models import Application, ApplicationDocument
    from registrar.tests import factories as rf

    base = live_server.url
    sibling = rf.submit(school, child=rf.applicant(first_name="Tobi"))  # moved in bulk below

    # A family applies on the public form, with the birth certificate attached.
    family = new_page(chromium)
    rf.apply_on_public_form(family, base)
    application = Application.objects.get(school=school, first_name="Adaeze")
    assert application.reference in family.locator("main").inner_text()
    assert ApplicationDocument.objects.get(application=application).kind == "birth_certificate"

    # The registrar signs in to the dashboard: tiles and charts.
    page = new_page(chromium)
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email or username").fill(registrar.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/s/greenfield/")
    assert page.locator("[data-kpi]").count() >= 10
    assert re.search(r"\b2\b", page.locator('[data-kpi="leads"]').inner_text())  # the two applications of today
    assert page.locator("svg.chart-svg").first.is_visible()

    # The board: the application in Pending; the keyboard moves it to In review and opens it.
    page.get_by_role("link", name="Applications", exact=True).click()
    page.wait_for_url("**/s/greenfield/registrar/")
    card = page.locator(f"#app-{application.pk}")
    assert card.locator("xpath=ancestor::ol").get_attribute("data-column") == "pending"
    page.keyboard.press("?")
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    page.keyboard.press("Escape")
    card.locator(".app-card-meta").click()  # focuses the card
    page.keyboard.press("r")
    page.locator(f'[data-column="in_review"] #app-{application.pk}').wait_for()
    page.get_by_text(f"{application.reference} (Adaeze Nwosu) moved to In review.").wait_for()
    page.wait_for_function(f"document.activeElement && document.activeElement.id === 'app-{application.pk}'")
    settled(page)
    # Bulk: Space selects the focused card, the bulk bar moves the selection.
    page.locator(f"#app-{sibling.pk} .app-card-meta").click()
    page.keyboard.press(" ")
    page.get_by_text("1 selected").wait_for()
    page.get_by_label("Move the selected to").select_option(label="In review")
    page.get_by_role("button", name="Move selected").click()
    page.get_by_text("Moved to In review (1)").wait_for()
    page.locator(f'[data-column="in_review"] #app-{sibling.pk}').wait_for()
    settled(page)
    # Closing moves ask first: "x" (reject) on a card, answered "Cancel", changes nothing.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator(f"#app-{sibling.pk} .app-card-meta").click()
    page.keyboard.press("x")
    page.wait_for_timeout(300)
    assert asked and "Reject Tobi Bello" in asked[0]
    sibling.refresh_from_db()
    assert sibling.status == "in_review"
    card.locator(".app-card-meta").click()
    page.keyboard.press("Enter")
    panel = page.locator("#panel")
    panel.get_by_role("heading", name="Adaeze Nwosu").wait_for()
    settled(page)
    assert panel.get_by_role("tab", name="Overview").get_attribute("aria-selected") == "true"

    # Docs: the birth certificate the family sent is verified.
    panel.get_by_role("tab", name="Docs").click()
    settled(page)
    panel.get_by_role("button", name="Verify birth certificate").click()
    panel.get_by_text("Birth certificate verified.").wait_for()
    settled(page)
    assert ApplicationDocument.objects.get(application=application).status == "verified"

    # Class: a clash shows before saving; a placement without one is saved.
    panel.get_by_role("tab", name="Class").click()
    settled(page)
    panel.get_by_label("Place in class").select_option(label="GFA JSS 1A (JSS 1)")
    panel.get_by_text("GFA JSS 1A: 1 of 40 seats taken this term.").wait_for()
    settled(page)
    panel.get_by_label("Monday 09:00–10:00 Mathematics, GFA JSS 1A").check()
    panel.get_by_label("Monday 09:30–10:30 English, GFA JSS 1B").check()
    warning = panel.locator(".conflicts")
    warning.wait_for()
    assert "overlap on Monday" in warning.inner_text()
    panel.get_by_label("Monday 09:30–10:30 English, GFA JSS 1B").uncheck()
    panel.get_by_label("Monday 11:00–12:00 Basic Science, GFA JSS 1A").check()
    panel.get_by_text("No conflicts: this placement can be saved.").wait_for()
    panel.get_by_role("button", name="Save placement").click()
    panel.get_by_text("Placed in GFA JSS 1A and 2 timetable slots.").wait_for()
    settled(page)

    # Fees: approve with the invoice.
    panel.get_by_role("tab", name="Fees").click()
    settled(page)
    assert panel.get_by_label("Send the invoice (from GFA JSS 1A's fee schedule)").is_checked()
    panel.get_by_role("button", name="Approve").click()
    panel.get_by_text(re.compile(r"Invoice \S+ issued")).first.wait_for()
    application.refresh_from_db()
    assert application.status == "approved" and application.invoice.status == "issued"
    assert "₦120,000.00" in panel.inner_text()

    # Enrol, from the application's own page (a reload of the address the panel put in the bar):
    # the student exists, and the page links to the student's.
    page.reload()
    panel = page.locator("#panel")
    panel.get_by_role("heading", level=1, name="Adaeze Nwosu").wait_for()
    panel.get_by_role("button", name="Enrol as a student").click()
    panel.get_by_text(re.compile(r"Enrolled as Adaeze Nwosu \(")).wait_for()
    assert panel.get_by_role("heading", level=1).inner_text() == "Adaeze Nwosu"  # still the page's title
    panel.get_by_role("link", name=re.compile(r"^Adaeze Nwosu \(")).click()
    page.wait_for_url("**/s/greenfield/students/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Adaeze Nwosu"
    assert "GFA JSS 1A" in page.locator("main").inner_text()
    application.refresh_from_db()
    student = application.student
    assert application.status == "converted" and student.status == "active"
    assert school.enrollments.filter(student=student, class_group=timetable).exists()
    assert SlotSeat.objects.filter(student=student).count() == 2
    assert application.converted_at.date() <= datetime.date.today() + datetime.timedelta(days=1)
