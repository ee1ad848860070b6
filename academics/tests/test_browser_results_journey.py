"""Issue 14's term end in a real headless Chromium, as the people would live it: the Mathematics
teacher fills JSS 1A's grid by keyboard and by pasting columns from a spreadsheet; the school admin
locks the class and publishes it; the message log shows one RESULT_READY per pupil; a guardian's
link opens the page of published terms and the PDF report card, whose totals, grades and positions
are the ones worked out by hand below; an amendment with a reason re-publishes with a "results
updated" notice to that pupil's family alone. The outbox is drained in-process after each step.

The class (surname order) and its scores, CA1 /10 10%, CA2 /10 10%, project /20 20%, exam /60 60%:

    Mathematics     CA1  CA2  Proj  Exam   total        English  B. Science  French
    Adeyemi           8    7    15    45   75.0 A1        68.0      60.0        —
    Bello             6  ABS    12    33   51.0 C6        50.0      40.0        —
    Chukwu            9    9    18  52.5   88.5 A1        80.0      70.0      100.0
    Okoro           7.5    7    14 46.45   74.95 -> 75.0 A1  60.0   70.0        —

Mathematics positions (from exact totals): Chukwu 1st, Adeyemi 2nd (75), Okoro 3rd (74.95 shows
as 75.0 but is behind), Bello 4th; class average (75 + 51 + 88.5 + 74.95) / 4 = 72.3625 -> 72.4.
Averages: Chukwu 338.5 / 4 = 84.625 -> 84.6 (1st), Okoro 204.95 / 3 = 68.316… -> 68.3 (2nd),
Adeyemi 203 / 3 = 67.666… -> 67.7 (3rd), Bello 141 / 3 = 47.0 (4th).

With CLASSPOINT_SHOTS=<folder>, each step is also saved there at 1366 and 390 px wide."""

import datetime
import io
import re

import pytest
from pypdf import PdfReader

from academics.models import ReportCard
from classpoint.browser_testing import BROWSER_MARKS, new_page, paste, settled, shot, sign_in_with_totp, signed_in_page
from classpoint.outbox.worker import drain
from messaging import pipeline
from messaging.models import Message

pytestmark = BROWSER_MARKS
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MATHS = {
    "Adeyemi": ("8", "7", "15", "45"),
    "Bello": ("6", "ABS", "12", "33"),
    "Chukwu": ("9", "9", "18", "52.5"),
    "Okoro": ("7.5", "7", "14", "46.45"),
}


@pytest.fixture
def term_end(school, results, monkeypatch):
    """JSS 1A's other subjects entered; the fixture's own pupil is Okoro; every guardian takes SMS;
    messaging's clock at noon, outside quiet hours."""
    okoro = results.pupils[0]
    okoro.first_name, okoro.last_name = "Tola", "Okoro"
    okoro.save()
    by_name = {p.last_name: p for p in results.pupils}
    english = {"Adeyemi": (7, 7, 14, 40), "Bello": (5, 5, 10, 30), "Chukwu": (8, 8, 16, 48), "Okoro": (6, 6, 12, 36)}
    science = {"Adeyemi": (6, 6, 12, 36), "Bello": (4, 4, 8, 24), "Chukwu": (7, 7, 14, 42), "Okoro": (7, 7, 14, 42)}
    for name, pupil in by_name.items():
        results.fill(pupil, "English Language", *english[name])
        results.fill(pupil, "Basic Science", *science[name])
    results.fill(by_name["Chukwu"], "French", 10, 10, 20, 60)
    school.guardians.update(consent_sms=True)
    noon = datetime.datetime.combine(school.local_today(), datetime.time(12), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: noon)
    return by_name


def _row(page, pupil):
    row = page.locator(f'tr[data-student="{pupil.pk}"]')
    return " ".join(row.locator("[data-total]").inner_text().split()), row.locator("[data-grade]").inner_text()


def _sent(school, template):
    return sorted(
        m.student.last_name
        for m in Message.objects.filter(school=school, template_type=template).select_related("student")
    )


def _pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


# Pasting saves rows in parallel: PostgreSQL only, for the reason given in test_browser_results_grid.
@pytest.mark.postgres
def test_a_term_of_results_from_grid_to_the_guardians_pdf(
    live_server, settings, school, results, term_end, alice, teacher, chromium
):
    base = live_server.url
    settings.SITE_URL = base  # the links we hand out point at this server
    pupils = term_end
    ids = {name: results.component(name).pk for name in ("CA1", "CA2", "Project", "Exam")}

    def cell(name, component):
        return f"cell-{pupils[name].pk}-{ids[component]}"

    # (a) The teacher opens Results: JSS 1A's Mathematics is theirs to fill.
    desk = signed_in_page(chromium, base, teacher)
    desk.get_by_role("navigation", name="School").get_by_role("link", name="Results").click()
    desk.get_by_role("link", name="Mathematics").click()
    desk.get_by_role("heading", name=re.compile("Mathematics · GFA JSS 1A")).wait_for()
    grid_url = desk.url

    # (b) Adeyemi's row by keyboard; the rest of CA1 pasted as a column; CA2, project and exam as a block.
    desk.locator(f"#{cell('Adeyemi', 'CA1')}").click()
    for value in MATHS["Adeyemi"]:
        desk.keyboard.type(value)
        desk.keyboard.press("Tab")
    assert _row(desk, pupils["Adeyemi"]) == ("75.0", "A1")
    paste(desk, cell("Bello", "CA1"), "6\n9\n7.5\n")
    block = "\n".join("\t".join(MATHS[name][1:]) for name in ("Bello", "Chukwu", "Okoro"))
    paste(desk, cell("Bello", "CA2"), block + "\n")
    desk.locator("#grid-status", has_text="All changes saved").wait_for()
    assert _row(desk, pupils["Bello"]) == ("51.0", "C6")
    assert _row(desk, pupils["Chukwu"]) == ("88.5", "A1")
    assert _row(desk, pupils["Okoro"]) == ("75.0", "A1")
    shot(desk, "results-a-grid-1366")
    desk.goto(grid_url)  # what was saved is what shows
    assert desk.locator(f"#{cell('Okoro', 'Exam')}").input_value() == "46.45"
    assert _row(desk, pupils["Okoro"]) == ("75.0", "A1")

    # (c) The school admin locks JSS 1A's scores, then publishes the class.
    admin = new_page(chromium, viewport=DESKTOP)
    sign_in_with_totp(admin, base, alice)
    admin.goto(f"{base}/s/greenfield/results/")
    admin.get_by_role("button", name="Lock GFA JSS 1A’s scores").click()
    settled(admin)
    admin.goto(f"{base}/s/greenfield/results/publish/")
    admin.get_by_role("button", name="Publish GFA JSS 1A").click()
    settled(admin)
    assert "published" in admin.locator("main").inner_text().lower()
    shot(admin, "results-c-published-1366")
    drain()

    # (d) The message log shows one RESULT_READY per pupil.
    assert _sent(school, "RESULT_READY") == ["Adeyemi", "Bello", "Chukwu", "Okoro"]
    admin.goto(f"{base}/s/greenfield/messages/")
    admin.get_by_label("Type").select_option(label="Results ready")
    admin.get_by_role("button", name="Filter").click()
    settled(admin)
    log = " ".join(admin.locator("#log-table tbody").inner_text().split())
    for name in pupils:
        assert name in log
    shot(admin, "results-d-log-1366")

    # (e) Okoro's guardian opens the link from the SMS on a phone: the term, and its PDF.
    sms = Message.objects.get(school=school, template_type="RESULT_READY", student=pupils["Okoro"])
    link = re.search(r"https?://\S+/results/\S+/", sms.body).group(0)
    phone = new_page(chromium, **PHONE)
    phone.goto(link)
    phone.get_by_role("heading", name="Report cards: Tola Okoro").wait_for()
    shot(phone, "results-e-link-390")
    href = phone.get_by_role("link", name=re.compile("Download report card")).get_attribute("href")
    download = phone.request.get(base + href)
    assert download.headers["content-type"] == "application/pdf"
    text = _pdf_text(download.body())
    # The hand computation: Mathematics 75.0 A1, 3rd in the subject, class average 72.4; English
    # 60.0 C4; Basic Science 70.0 B2; average 68.3, 2nd of 4.
    assert re.search(r"Mathematics .*?75\.0 A1", text), text
    assert "72.4" in text
    assert re.search(r"English Language .*?60\.0 C4", text)
    assert re.search(r"Basic Science .*?70\.0 B2", text)
    assert "68.3" in text
    assert re.search(r"\b2nd\b", text) and re.search(r"\b3rd\b", text)
    assert "French" not in text  # an elective Okoro does not take

    # (f) An amendment with a reason (Chukwu's exam re-marked upward) and a re-publish: only his
    # family is told the results were updated; no one gets a second RESULT_READY.
    admin.goto(grid_url)
    admin.get_by_role("link", name=re.compile("Amend Exam of Chukwu")).click()
    admin.get_by_label("New score").fill("55")
    admin.get_by_label("Reason for the change").fill("Re-marked: page 4 was missed")
    admin.get_by_role("button", name="Amend the score").click()
    settled(admin)
    admin.goto(f"{base}/s/greenfield/results/publish/")
    admin.get_by_role("button", name="Publish GFA JSS 1A").click()
    settled(admin)
    drain()
    assert _sent(school, "RESULT_UPDATED") == ["Chukwu"]
    assert _sent(school, "RESULT_READY") == ["Adeyemi", "Bello", "Chukwu", "Okoro"]
    card = ReportCard.objects.get(school=school, student=pupils["Chukwu"], term=results.term)
    assert card.revision == 2
