"""Issue 15's "Done when" as one journey in a real headless Chromium, on the data `make run` loads
(`seed_demo`, Greenfield Academy, today's date): the demo's school admin invites a teacher, who sets
a password from the emailed link and sees only what a teacher may use; the admin moves the quiet hours
and uploads the logo (the next invoice PDF carries it); makes the session's last term current (the
class lists follow) and rolls the school into the next session with a dry run first; edits a pupil,
moves the pupil to another class and withdraws another; exports the students with their guardians and
opens the file; and a family applies through the public form in Spanish and gets the confirmation SMS
in Spanish.

Each step's own test (test_browser_people, _settings, _year, _record, _exports, registrar's
test_browser_public_spanish) covers its edge cases; this one proves they hold together, in order,
on the demo school."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from PIL import Image
from pypdf import PdfReader

from classpoint.browser_testing import BROWSER_MARKS, new_page, settled, shot, sign_in_with_totp
from classpoint.csvfile import BOM
from classpoint.demo import DEMO_PASSWORD
from classpoint.outbox import worker
from fees.models import Invoice
from messaging import pipeline
from messaging.models import Message
from registrar.models import Application
from schools.models import Enrollment, Membership, School, SchoolProfile

pytestmark = BROWSER_MARKS
ADMIN = "admin@greenfield.demo"


@pytest.fixture
def demo(transactional_db, monkeypatch):
    """The demo school as `make run` seeds it (fewer pupils, so the journey stays quick), at 10:00
    school time, so messages go at once whatever time the suite runs."""
    call_command("seed_demo", students=90, stdout=io.StringIO())
    school = School.objects.get(slug="greenfield")
    morning = datetime.datetime.combine(school.local_today(), datetime.time(10), tzinfo=school.tzinfo)
    monkeypatch.setattr(pipeline, "_now", lambda: morning)
    return school, get_user_model().objects.get(email=ADMIN)


def _nav(page):
    return {name.strip() for name in page.locator("nav.mainnav a").all_inner_texts()}


def test_a_demo_school_runs_itself_from_invitation_to_a_spanish_application(live_server, demo, chromium, tmp_path):
    school, admin_user = demo
    base = live_server.url
    admin = new_page(chromium, accept_downloads=True, viewport={"width": 1366, "height": 900})
    sign_in_with_totp(admin, base, admin_user, password=DEMO_PASSWORD)

    # 1. People: the admin invites a teacher, who sets a password from the link, on a phone.
    admin.get_by_role("link", name="People", exact=True).click()
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("Email address").fill("tola.teacher@example.ng")
    admin.get_by_label("Role").select_option(label="Teacher")
    admin.get_by_label("First name (optional)").fill("Tola")
    admin.get_by_label("Last name (optional)").fill("Adeyemi")
    admin.get_by_role("button", name="Send invitation").click()
    admin.get_by_text("Invitation sent to tola.teacher@example.ng").wait_for()
    [invitation] = [m for m in mail.outbox if "tola.teacher@example.ng" in m.to]
    link = re.search(r"https?://\S+/people/invite/\S+/", invitation.body).group(0)
    teacher = new_page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
    teacher.goto(base + link[link.index("/s/") :])
    teacher.get_by_label("Password", exact=True).fill("chalk-and-blackboard-42")
    teacher.get_by_label("Password again").fill("chalk-and-blackboard-42")
    teacher.get_by_role("button", name="Set password and join").click()
    teacher.wait_for_url(f"{base}/s/greenfield/")
    nav = _nav(teacher)
    assert {"Students", "Attendance", "Results"} <= nav
    assert not {"Invoices", "Fee set-up", "Applications", "People", "Settings", "Audit log"} & nav
    assert teacher.goto(f"{base}/s/greenfield/settings/").status == 403
    assert Membership.objects.get(user__email="tola.teacher@example.ng", school=school).role.key == "teacher"
    shot(teacher, "journey-teacher-home-phone")

    # 2. Settings: quiet hours and the logo; the next invoice PDF prints the logo.
    logo = tmp_path / "crest.png"
    Image.new("RGB", (300, 150), "navy").save(logo, format="PNG")
    admin.get_by_role("link", name="Settings", exact=True).click()
    admin.get_by_label("Start", exact=True).fill("21:30")
    admin.get_by_label("End", exact=True).fill("06:45")
    admin.get_by_role("button", name="Save the messaging settings").click()
    admin.get_by_text("Messaging settings saved.").wait_for()
    admin.get_by_label("Logo image").set_input_files(str(logo))
    admin.get_by_role("button", name="Upload the logo").click()
    admin.get_by_text("Logo saved.").wait_for()
    profile = SchoolProfile.objects.get(school=school)
    assert (profile.quiet_hours_start, profile.quiet_hours_end) == (datetime.time(21, 30), datetime.time(6, 45))
    invoice = Invoice.objects.filter(school=school).order_by("-pk").first()
    pdf = admin.request.get(f"{base}/s/greenfield/fees/invoices/{invoice.pk}/pdf/")
    assert pdf.status == 200
    assert [Image.open(io.BytesIO(i.data)).size for i in PdfReader(io.BytesIO(pdf.body())).pages[0].images] == [
        (300, 150)
    ]

    # 3. The school year: the session's last term made current carries the class lists; then the
    #    rollover, dry run first, into 2027/2028.
    first_term = school.current_term()
    on_roll = school.enrollments.filter(term=first_term, status="active").count()
    admin.goto(f"{base}/s/greenfield/year/sessions/")
    admin.get_by_role("button", name=re.compile(r"^Make current\W+Third term")).first.click()
    admin.get_by_text("Third term of").first.wait_for()
    third = school.current_term()
    assert third.name == "Third term"
    assert school.enrollments.filter(term=third, status="active").count() == on_roll
    admin.goto(f"{base}/s/greenfield/year/")
    admin.get_by_role("link", name="Year-end rollover").first.click()
    dry_run = admin.locator("#dry-run").inner_text()
    assert "No problems: the rollover can be confirmed." in dry_run
    assert "promoted to JSS 2A" in admin.locator("main").inner_text()
    shot(admin, "journey-rollover-dry-run")
    admin.get_by_role("button", name="Confirm the rollover").click()
    admin.wait_for_url("**/s/greenfield/year/")
    next_session = admin.locator("main").inner_text()
    assert "Current term: First term of 2027/2028" in next_session
    new_term = school.current_term()
    assert new_term.session.name == "2027/2028"
    assert school.enrollments.filter(term=new_term, status="active").exists()

    # 4. A pupil's record: edit the name, move class; withdraw another pupil.
    moved_from = (
        Enrollment.objects.filter(school=school, term=new_term, status="active", class_group__name__endswith="A")
        .select_related("student", "class_group")
        .order_by("student__last_name", "student__pk")
        .first()
    )
    pupil, arm_a = moved_from.student, moved_from.class_group
    arm_b = school.class_groups.get(name=arm_a.name[:-1] + "B")
    admin.goto(f"{base}/s/greenfield/students/{pupil.pk}/")
    admin.get_by_role("link", name="Edit the profile").click()
    admin.get_by_label("First name").fill("Adaeze")
    admin.get_by_role("button", name="Save the profile").click()
    admin.get_by_text("Profile saved.").wait_for()
    assert pupil.first_name in admin.locator("table", has=admin.get_by_role("columnheader", name="Was")).inner_text()
    admin.get_by_role("navigation", name="Adaeze").get_by_role("link", name="Enrolment").click()
    option = admin.locator("#id_move-class_group option", has_text=arm_b.name).first.inner_text()
    admin.get_by_label("Move to class").select_option(label=option.strip())
    admin.get_by_role("button", name="Move Adaeze").click()
    admin.get_by_text(f"moved to {arm_b.name} from today").wait_for()
    settled(admin)
    assert Enrollment.objects.get(student=pupil, term=new_term, status="active").class_group == arm_b
    leaver = (
        Enrollment.objects.filter(school=school, term=new_term, status="active")
        .exclude(student=pupil)
        .select_related("student")
        .first()
        .student
    )
    admin.goto(f"{base}/s/greenfield/students/{leaver.pk}/enrolment/")
    admin.get_by_label("Left on").fill(school.local_today().isoformat())
    admin.get_by_label("Reason for leaving").fill("Relocated to Abuja")
    admin.get_by_role("button", name=f"Withdraw {leaver.first_name}").click()
    admin.get_by_text(f"{leaver.first_name} {leaver.last_name} withdrawn.").wait_for()
    leaver.refresh_from_db()
    assert (leaver.status, leaver.leaving_reason) == ("withdrawn", "Relocated to Abuja")
    shot(admin, "journey-withdrawn")

    # 5. Export the students of the moved pupil's class with their guardians, and open the file.
    admin.get_by_role("navigation", name="School").get_by_role("link", name="Students", exact=True).click()
    admin.get_by_label("Class").select_option(label=arm_b.name)
    admin.wait_for_url(f"**class_group={arm_b.pk}**")
    settled(admin)
    with admin.expect_download() as info:
        admin.get_by_role("link", name="Export CSV").click()
    with open(info.value.path(), encoding="utf-8", newline="") as opened:
        text = opened.read()
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[len(BOM) :])))
    assert {r["Class"] for r in rows} == {arm_b.name}
    adaeze = next(r for r in rows if r["Admission number"].lstrip("'") == pupil.admission_number)
    assert adaeze["First name"] == "Adaeze" and adaeze["Guardian 1 phone"].lstrip("'").startswith("+234")
    assert len(rows) == school.enrollments.filter(term=new_term, class_group=arm_b, status="active").count()

    # 6. A family applies through the public form in Spanish; the confirmation SMS is in Spanish.
    family = new_page(chromium, viewport={"width": 390, "height": 844}, is_mobile=True)
    family.goto(f"{base}/s/greenfield/apply/?lang=es")
    family.get_by_role("heading", name="Solicitar la admisión").wait_for()
    family.locator("#id_first_name").fill("Lucía")
    family.locator("#id_last_name").fill("Okafor")
    family.get_by_label("Fecha de nacimiento").fill("2015-05-02")
    family.get_by_label("Femenino").check()
    family.get_by_label("Curso solicitado").select_option("JSS 1")
    family.locator("#id_g1_first_name").fill("Carmen")
    family.locator("#id_g1_last_name").fill("Okafor")
    family.locator("#id_g1_phone").fill("0803 111 2233")
    family.get_by_label("Mensajes de texto (SMS)").first.check()
    family.get_by_role("button", name="Enviar la solicitud").click()
    family.get_by_role("heading", name="Gracias: hemos recibido la solicitud").wait_for()
    reference = family.locator("main strong.tile-figure").inner_text().strip()
    application = Application.objects.get(school=school, reference=reference)
    assert application.language == "es"
    worker.drain()
    message = Message.objects.get(school=school, template_type="APPLICATION_RECEIVED", to_address="+2348031112233")
    assert message.status == "delivered"
    assert f"hemos recibido la solicitud de Lucia Okafor (JSS 1), ref. {reference}" in message.body
    shot(family, "journey-applied-es")
