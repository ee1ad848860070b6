"""The students workspace in a real headless Chromium (Debian's package, driven by Playwright)."""

from classpoint.browser_testing import BROWSER_MARKS, sign_in

pytestmark = BROWSER_MARKS


def test_teacher_signs_in_searches_and_opens_a_student(live_server, school, teacher, browser_page):
    page = browser_page
    # given a teacher on the sign-in page
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email or username").fill(teacher.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    # when she opens Students and types in the search box (htmx swaps the table, no reload)
    page.get_by_role("link", name="Students", exact=True).click()
    page.get_by_label("Search by name or admission number").fill("GFAPupil")
    page.wait_for_url("**q=GFAPupil**")
    row_link = page.get_by_role("link", name="Last")
    # then the matching student is listed and opens to show the guardian and the access history
    assert page.locator("#students-table").inner_text().count("GFA/0001") == 1
    row_link.first.click()
    page.get_by_role("heading", name="Guardians").wait_for()
    assert "Primary contact" in page.content()
    assert "Student viewed (workspace)" in page.locator("table").last.inner_text()


def test_skip_link_is_first_and_moves_focus_to_main(live_server, school, teacher, browser_page):
    page = browser_page
    sign_in(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/s/greenfield/students/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside main: the search box
    assert page.evaluate("document.activeElement.id") == "q"


def test_registrar_imports_a_roll_and_watches_it_finish(live_server, school, registrar, browser_page, tmp_path):
    from classpoint.outbox import worker
    from schools.models import ClassGroup

    for name in ("JSS 1A", "JSS 1B"):
        ClassGroup.objects.create(school=school, name=name, level="JSS 1")
    path = tmp_path / "roll.csv"
    path.write_text(
        "Admission number,First name,Last name,Class,Guardian 1 first name,Guardian 1 last name,Guardian 1 phone\n"
        "NEW/1,Ada,Obi,JSS 1A,Ngozi,Obi,08031234567\n"
        "NEW/2,Emeka,Obi,jss 1b,Ngozi,Obi,08031234567\n"
        "NEW/3,Tolu,Ade,JSS 9Z,Bisi,Ade,0803\n",
        encoding="utf-8",
    )
    page = browser_page
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("Email or username").fill(registrar.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Imports").click()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_label("Import", exact=True).check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/imports/*/")
    assert "Waiting" in page.locator("#import-progress").inner_text()
    worker.drain()  # the task cluster's job, done here; the page polls and updates itself
    page.get_by_text("Finished").wait_for(timeout=10_000)
    progress = page.locator("#import-progress").inner_text()
    assert "Unknown class" in progress and "Download the full problems report" in progress
    assert school.students.filter(admission_number__startswith="NEW/").count() == 2
