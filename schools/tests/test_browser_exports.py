"""A school admin exports students with their guardians to CSV and opens it, in a real headless
Chromium: the list filtered by class, "Export CSV" clicked, the downloaded file read back."""

import csv
import io

from classpoint.browser_testing import BROWSER_MARKS, new_page, settled, shot, sign_in_with_totp
from classpoint.csvfile import BOM
from classpoint.models import AuditLog

pytestmark = BROWSER_MARKS


def _class_of_two(school):
    from schools.tests import factories as f

    term = school.current_term()
    group = f.ClassGroupFactory(school=school, name="JSS 2B", level="JSS 2")
    for first, mother, father in (("Chiamaka", "Ngozi", "Emeka"), ("Tolu", "Bisi", "")):
        pupil = f.StudentFactory(school=school, first_name=first, last_name="Okafor")
        f.enroll(pupil, term, group)
        f.link(pupil, f.GuardianFactory(school=school, first_name=mother, relationship="Mother"), primary=True)
        if father:
            f.link(pupil, f.GuardianFactory(school=school, first_name=father, relationship="Father"), primary=False)
    return group


def test_admin_filters_students_exports_them_with_guardians_and_opens_the_file(
    live_server, school, other_school, alice, chromium
):
    # given a class of two pupils beside the conftest pupil of another class (and another school)
    group = _class_of_two(school)
    page = new_page(chromium, accept_downloads=True, viewport={"width": 1366, "height": 900})
    sign_in_with_totp(page, live_server.url, alice)
    # when the admin filters the students list to that class
    page.get_by_role("link", name="Students", exact=True).click()
    page.get_by_label("Class").select_option(label="JSS 2B")
    page.wait_for_url(f"**class_group={group.pk}**")
    settled(page)
    assert "2 students" in page.locator("#students-table").inner_text()
    shot(page, "students-export-filtered")
    # and clicks Export CSV
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    # then the file opens as UTF-8 for Excel and holds that class's pupils with their guardians
    assert download.suggested_filename.startswith("students-greenfield-") and download.suggested_filename.endswith(
        ".csv"
    )
    with open(download.path(), encoding="utf-8", newline="") as opened:
        text = opened.read()
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[len(BOM) :])))
    assert [(r["First name"], r["Class"]) for r in rows] == [("Chiamaka", "JSS 2B"), ("Tolu", "JSS 2B")]
    chiamaka, tolu = rows
    assert (chiamaka["Guardian 1 first name"], chiamaka["Guardian 1 relationship"]) == ("Ngozi", "Mother")
    assert (chiamaka["Guardian 2 first name"], chiamaka["Guardian 2 relationship"]) == ("Emeka", "Father")
    assert chiamaka["Guardian 1 phone"].lstrip("'").startswith("+234") and "@" in chiamaka["Guardian 1 email"]
    assert tolu["Guardian 1 first name"] == "Bisi" and tolu["Guardian 2 first name"] == ""
    assert "GFA/0001" not in text and "RVC" not in text
    # and the access log says who took which pupils
    entry = AuditLog.objects.get(school=school, action="students.exported")
    assert entry.actor == alice and entry.changes["filters"] == {"class_group": str(group.pk)}
    assert entry.changes["rows"] == 2
