"""Issue 13's morning in a real headless Chromium, as the people would live it: the teacher takes
JSS 1A's register by keyboard (two absent, one late), the guardians' absence alerts reach the
message log once each, a correction later that day withdraws one and sends nothing twice, the officer
sees which registers are still missing, drafts, sends and opens a truancy letter, and credits a
recovery session's minutes to the truant pupil. The outbox is drained in-process after each step.

With CLASSPOINT_SHOTS=<folder>, each step is also saved there at 1366 and 390 px wide, for a person
to look at."""

import datetime
import io
import re

import pytest
from pypdf import PdfReader

from academics.attendance import codes, registers
from classpoint.browser_testing import BROWSER_MARKS, new_page, settled, shot, signed_in_page
from classpoint.outbox.worker import drain
from messaging import pipeline
from messaging.models import Message
from schools.models import StaffProfile
from schools.tests import factories as f

pytestmark = BROWSER_MARKS
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def morning(school, teacher, monkeypatch):
    """Today a school day of the term and of the school year; JSS 1A (the teacher's form) has five
    pupils besides the fixture's, each with a guardian who takes SMS; Kid Eze was absent without
    excuse on the last three days; JSS 1B's register waits for its own teacher. Messaging's clock
    stands at noon, outside quiet hours, so alerts go out at once."""
    today = school.local_today()
    term = school.current_term()
    term.start_date, term.end_date = today - datetime.timedelta(days=40), today + datetime.timedelta(days=60)
    term.save()
    session = term.session
    session.start_date, session.end_date = term.start_date, today + datetime.timedelta(days=200)
    session.save()
    policy = codes.policy_for(school)
    policy.school_days = [1, 2, 3, 4, 5, 6, 7]
    policy.save()
    noon = datetime.datetime.combine(today, datetime.time(12), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: noon)

    form_a = school.class_groups.get(name="GFA JSS 1A")
    form_a.form_teacher = StaffProfile.objects.create(school=school, first_name="Ada", last_name="Obi", user=teacher)
    form_a.save()
    form_b = f.ClassGroupFactory(school=school, name="GFA JSS 1B")
    form_b.form_teacher = StaffProfile.objects.create(school=school, first_name="Bola", last_name="Ade")
    form_b.save()
    f.enroll(f.StudentFactory(school=school, first_name="Kid", last_name="Ibe"), term, form_b)
    pupils = {}
    for name in ("Adeyemi", "Bello", "Chukwu", "Danjuma", "Eze"):
        pupils[name] = pupil = f.StudentFactory(school=school, first_name="Kid", last_name=name)
        f.enroll(pupil, term, form_a)
        f.link(pupil, f.GuardianFactory(school=school, first_name="Mama", last_name=name))
    school.guardians.update(consent_sms=True)
    for days_ago in (3, 2, 1):
        registers.register_submit(
            school=school,
            class_group=form_a,
            date=today - datetime.timedelta(days=days_ago),
            marks=[{"student_id": pupils["Eze"].pk, "code": "A"}],
            actor=teacher,
        )
    drain()
    return pupils


def _words(locator):
    return " ".join(locator.inner_text().split())


def _log(page, base, label):
    """The message log filtered to one type, as the officer filters it; its rows' texts."""
    page.goto(f"{base}/s/greenfield/messages/")
    page.get_by_label("Type").select_option(label=label)
    page.get_by_role("button", name="Filter").click()
    settled(page)
    page.wait_for_function(
        "label => [...document.querySelectorAll('#log-table tbody tr')].every(r => r.innerText.includes(label))"
        " || document.querySelector('#log-table .empty')",
        arg=label,
    )
    return [" ".join(row.split()) for row in page.locator("#log-table tbody tr").all_inner_texts()]


def _sent(school, template):
    return sorted(
        (m.student.last_name, m.guardian.last_name)
        for m in Message.objects.filter(school=school, template_type=template).select_related("student", "guardian")
    )


def _focused_pupil(page):
    return page.evaluate("document.activeElement.closest('.reg-row').querySelector('.reg-name').innerText")


def test_a_morning_of_attendance_from_register_to_recovery(live_server, settings, school, teacher, morning, chromium):
    base = live_server.url
    settings.SITE_URL = base  # the links we hand out (the letter's PDF) point at this server
    eze = morning["Eze"]
    officer = f.member(school, "attendance_officer")
    visited = []

    # (a) The teacher signs in: the home page and Attendance show today's register, not taken.
    desk = signed_in_page(chromium, base, teacher)
    assert "1 of 1 not taken yet" in _words(desk.locator("section.reg-panel"))
    shot(desk, "journey-a-home-1366")
    desk.get_by_role("navigation", name="School").get_by_role("link", name="Attendance").click()
    desk.get_by_role("heading", name="Today’s registers").wait_for()
    assert "1 of 1 not taken yet" in _words(desk.locator("main"))
    shot(desk, "journey-a-attendance-1366")

    # (b) JSS 1A's register by keyboard alone: Adeyemi and Bello absent, Chukwu 20 minutes late.
    desk.get_by_role("link", name="GFA JSS 1A: daily register").click()
    desk.get_by_role("heading", name="Register: GFA JSS 1A").wait_for()
    register_url = desk.url
    visited.append(register_url)
    desk.wait_for_function("document.activeElement && document.activeElement.closest('.reg-row') !== null")
    assert _focused_pupil(desk).startswith("Adeyemi, Kid")
    desk.keyboard.press("a")
    desk.keyboard.press("a")
    desk.keyboard.press("l")
    desk.keyboard.type("20")
    desk.keyboard.press("Enter")
    assert _focused_pupil(desk).startswith("Danjuma, Kid")
    assert _words(desk.locator(".reg-counts")) == "3 present 2 absent 1 late 0 excused"
    shot(desk, "journey-b-register-1366")
    for _ in range(3):
        desk.keyboard.press("ArrowDown")
    desk.keyboard.press("Enter")  # the last pupil's Enter submits
    desk.get_by_text("Register of GFA JSS 1A taken: 3 present, 2 absent, 1 late.").wait_for()
    assert "All 1 taken" in desk.locator("main").inner_text()
    drain()

    # (c) The officer's message log: one absence alert to each absent or late pupil's guardian.
    office = signed_in_page(chromium, base, officer)
    rows = _log(office, base, "Absence alert")
    assert len(rows) == 3
    for name in ("Adeyemi", "Bello", "Chukwu"):
        assert sum(f"Mama {name}" in row for row in rows) == 1, rows
    assert _sent(school, "ABSENCE_ALERT") == [("Adeyemi", "Adeyemi"), ("Bello", "Bello"), ("Chukwu", "Chukwu")]
    shot(office, "journey-c-alerts-1366")

    # (d) Adeyemi turns up after all: the teacher sets them present and saves the register again.
    desk.goto(register_url)
    desk.wait_for_function("document.activeElement && document.activeElement.closest('.reg-row') !== null")
    desk.keyboard.press("p")
    desk.get_by_role("button", name="Save changes").click()
    desk.get_by_text("Register of GFA JSS 1A saved: 4 present, 1 absent, 1 late.").wait_for()
    drain()
    # No alert twice; Adeyemi's family, told already, hears "present after all" once.
    assert len(_log(office, base, "Absence alert")) == 3
    withdrawn = _log(office, base, "Absence withdrawn")
    assert len(withdrawn) == 1 and "Mama Adeyemi" in withdrawn[0]
    assert _sent(school, "ABSENCE_ALERT") == [("Adeyemi", "Adeyemi"), ("Bello", "Bello"), ("Chukwu", "Chukwu")]
    assert _sent(school, "ABSENCE_WITHDRAWN") == [("Adeyemi", "Adeyemi")]
    shot(office, "journey-d-withdrawn-1366")

    # (e) Completeness: JSS 1B's register is still missing, JSS 1A's is not.
    office.get_by_role("navigation", name="School").get_by_role("link", name="Attendance").click()
    office.get_by_role("navigation", name="Attendance pages").get_by_role("link", name="Missing registers").click()
    office.get_by_role("heading", name=re.compile("^Missing registers")).wait_for()
    visited.append(office.url)
    main = _words(office.locator("main"))
    assert "1 of 2 registers not taken yet" in main
    assert office.get_by_role("link", name="GFA JSS 1B: daily register").is_visible()
    assert "GFA JSS 1A" not in main
    shot(office, "journey-e-completeness-1366")

    # (f) The scan drafts Kid Eze's first letter; the officer sends it and opens its PDF.
    office.get_by_role("navigation", name="Attendance pages").get_by_role("link", name="Interventions").click()
    office.get_by_role("button", name="Run the scan now").click()
    office.get_by_text("The scan drafted 1 first letter.").wait_for()
    visited.append(office.url)
    drafts = office.get_by_role("table", name=re.compile("^Drafts to send"))
    assert "Truancy letter 1" in drafts.get_by_role("row").filter(has_text="Kid Eze").inner_text()
    shot(office, "journey-f-drafted-1366")
    drafts.get_by_role("link", name=re.compile("^Kid Eze")).click()
    office.get_by_role("heading", name="Truancy letter 1: Kid Eze").wait_for()
    office.get_by_role("button", name="Send truancy letter 1").click()
    office.get_by_text("Truancy letter 1 sent to Kid Eze’s family").wait_for()
    visited.append(office.url)
    shot(office, "journey-f-sent-1366")
    with office.expect_download() as download:
        office.get_by_role("link", name=re.compile("PDF.*Kid Eze")).click()
    # Named after the pupil's admission number, its slashes kept out of the file name.
    assert download.value.suggested_filename == f"letter-1-{eze.admission_number.replace('/', '-')}.pdf"
    with open(download.value.path(), "rb") as pdf:
        data = pdf.read()
    assert data.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Kid Eze" in text and eze.admission_number in text
    drain()
    letters = _log(office, base, "Truancy letter")
    assert len(letters) == 1 and "Mama Eze" in letters[0]
    assert _sent(school, "TRUANCY_LETTER") == [("Eze", "Eze")]

    # (g) A recovery session today: the officer schedules it, seats Kid Eze, takes attendance.
    office.get_by_role("navigation", name="School").get_by_role("link", name="Attendance").click()
    office.get_by_role("navigation", name="Attendance pages").get_by_role("link", name="Recovery sessions").click()
    office.get_by_role("link", name="Schedule a session").click()
    office.get_by_label("Where").fill("Library")
    office.get_by_role("button", name="Schedule the session").click()  # today, 14:00–16:00 by default
    office.get_by_role("heading", name=re.compile("^Recovery session:")).wait_for()
    visited.append(office.url)
    office.get_by_label("Find a pupil").fill("Eze")
    results = office.locator("#pupil-results")
    results.get_by_text("GFA JSS 1A").wait_for()  # the class tells namesakes apart
    settled(office)
    results.get_by_label("Kid Eze").check()
    office.get_by_role("button", name="Seat the ticked pupils").click()
    office.get_by_text("Seated: Kid Eze.").wait_for()
    office.get_by_label("Came: Kid Eze").check()
    office.get_by_role("button", name="Save attendance").click()
    office.get_by_text("Attendance saved: 1 of 1 came.").wait_for()
    seat = office.get_by_role("row").filter(has_text="Kid Eze")
    assert "120 min" in seat.inner_text()
    assert "2 h to 1 pupil" in _words(office.locator("main .facts"))
    shot(office, "journey-g-recovery-1366")
    # The pupil's attendance history counts the recovered time.
    seat.get_by_role("link", name=re.compile("^Kid Eze")).click()
    office.get_by_role("heading", name="Kid Eze: attendance").wait_for()
    visited.append(office.url)
    assert "Recovered this school year 2 h" in _words(office.locator("section", has=office.locator("#totals-h")))
    shot(office, "journey-g-history-1366")

    # On a phone each page of the journey fits the screen: no sideways scrolling.
    phone = new_page(chromium, **PHONE)
    phone.context.add_cookies(office.context.cookies())
    for number, url in enumerate(visited):
        phone.goto(url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, url
        shot(phone, f"journey-phone-{number}-390")
