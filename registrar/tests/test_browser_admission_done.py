"""The issue's "Done when", end to end in a real headless Chromium: a family applies on the public form
with a document; the registrar (not an admin, no admin pages) finds it on the board by its
reference, reviews it, places it in a class and a timetable slot, approves with the invoice and the
pay-now link; the guardian pays in full from the link in their INVOICE_ISSUED message through the
demo gateway's checkout; the registrar enrols the child. The dashboard counts all of it live today,
and on the next day reads it from the nightly aggregate (the sink), today starting again at zero."""

import datetime
import re

import pytest

from classpoint.browser_testing import BROWSER_MARKS, new_page, settled

pytestmark = BROWSER_MARKS

DAY = datetime.timedelta(days=1)


def _tile(page, key):
    return page.locator(f'[data-kpi="{key}"] .tile-figure').inner_text().strip()


def _figures(page):
    """The dashboard's daily figures table (behind its disclosure): {day label: (leads, revenue)}."""
    page.get_by_text("Show the daily figures as a table").click()
    rows = page.get_by_role("region", name="Daily figures").locator("tbody tr")
    found = {}
    for i in range(rows.count()):
        day, leads, revenue = (cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts())
        found[day] = (leads, revenue)
    return found


def _day_label(day):
    return f"{day:%a} {day.day} {day:%b %Y}"


@pytest.fixture
def admissions_set_up(school):
    """What the school sets up before term, through the services: JSS 1A's fee schedule (₦120,000,
    due in two weeks) and a Monday Mathematics slot on its timetable."""
    from academics import services as academics
    from fees import services as fees

    group, term = school.class_groups.get(), school.current_term()
    item = fees.fee_item_create(school=school, actor=None, code="tuition", name="Tuition")
    fees.fee_schedule_create(
        school=school,
        actor=None,
        term=term,
        name="JSS 1A, first term",
        class_group=group,
        lines=[{"fee_item": item, "amount_minor": 12_000_000, "due_date": school.local_today() + 14 * DAY}],
    )
    academics.slot_create(
        school=school,
        actor=None,
        term=term,
        class_group=group,
        subject="Mathematics",
        weekday=1,
        start_time=datetime.time(9),
        end_time=datetime.time(10),
    )
    return group


def test_done_when_an_application_becomes_a_paying_enrolled_student_and_the_dashboard_counts_it(
    live_server, school, registrar, admissions_set_up, chromium, settings, monkeypatch
):
    from django.utils import timezone

    from classpoint.outbox import worker
    from messaging.models import Message
    from registrar import kpi
    from registrar.models import Application, RegistrationKpiDaily, RevenueDaily
    from registrar.tests import factories as rf

    settings.SITE_URL = live_server.url  # pay links point here, and the demo gateway posts its webhook back
    base, today = live_server.url, school.local_today()
    other = rf.submit(school, child=rf.applicant(first_name="Tobi"))  # another lead of the day, on the board too

    # 1. A family applies on the public form, no login, with the birth certificate attached.
    family = new_page(chromium)
    rf.apply_on_public_form(family, base)
    reference = family.locator("main strong.tile-figure").inner_text().strip()
    application = Application.objects.get(school=school, reference=reference)
    assert (application.first_name, application.status) == ("Adaeze", "pending")
    assert application.documents.get().kind == "birth_certificate"

    # 2. The registrar signs in (a registrar, not an admin) and finds it on the board by its reference.
    assert not registrar.is_staff and not registrar.is_superuser
    page = new_page(chromium)
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email or username").fill(registrar.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/s/greenfield/")
    page.get_by_role("link", name="Applications", exact=True).click()
    page.wait_for_url("**/s/greenfield/registrar/")
    page.locator(f"#app-{other.pk}").wait_for()
    page.get_by_label("Search (name, phone, email or reference)").fill(reference)
    page.locator(f"#app-{other.pk}").wait_for(state="detached")  # the search leaves only this one
    settled(page)
    card = page.locator(f"#app-{application.pk}")
    assert card.locator("xpath=ancestor::ol").get_attribute("data-column") == "pending"
    card.get_by_role("link", name="Adaeze Nwosu").click()
    panel = page.locator("#panel")
    panel.get_by_role("heading", name="Adaeze Nwosu").wait_for()
    settled(page)
    assert reference in panel.locator(".panel-facts").inner_text()

    # Overview: into review.
    panel.get_by_role("button", name="Review", exact=True).click()
    panel.get_by_text("Moved to In review.").wait_for()
    settled(page)
    assert "In review" in panel.locator(".panel-facts .badge").inner_text()

    # Class: JSS 1A and its Monday Mathematics slot, no conflict.
    panel.get_by_role("tab", name="Class").click()
    settled(page)
    panel.get_by_label("Place in class").select_option(label="GFA JSS 1A (JSS 1)")
    panel.get_by_text("GFA JSS 1A: 1 of 40 seats taken this term.").wait_for()
    settled(page)
    panel.get_by_label("Monday 09:00–10:00 Mathematics, GFA JSS 1A").check()
    panel.get_by_text("No conflicts: this placement can be saved.").wait_for()
    panel.get_by_role("button", name="Save placement").click()
    panel.get_by_text("Placed in GFA JSS 1A and 1 timetable slot.").wait_for()
    settled(page)

    # Fees: approve with the invoice and the pay-now link.
    panel.get_by_role("tab", name="Fees").click()
    settled(page)
    assert panel.get_by_label("Send the invoice (from GFA JSS 1A's fee schedule)").is_checked()
    panel.get_by_label("Send the pay-now (autopay) link with it").check()
    panel.get_by_role("button", name="Approve").click()
    panel.get_by_text(re.compile(r"Approved\. Invoice \S+ issued; the family is told\.")).wait_for()
    settled(page)
    application.refresh_from_db()
    invoice = application.invoice
    fees_tab = panel.locator("#tabpanel").inner_text()
    assert invoice.number in fees_tab and "Issued" in fees_tab and "₦120,000.00" in fees_tab
    assert "No payment yet." in fees_tab
    assert panel.get_by_label("Chioma Nwosu's link (as in their message)").input_value().startswith(base)

    # 3. The family's INVOICE_ISSUED (the text message the phone gets) carries the pay link.
    worker.drain()
    message = Message.objects.get(school=school, template_type="INVOICE_ISSUED", guardian__first_name="Chioma")
    assert message.channel == "sms" and message.to_address.endswith("8031112222")
    assert invoice.number in message.body and "NGN120,000.00" in message.body  # SMS spells ₦ in GSM-7
    pay_link = re.search(r"Pay: (\S+)", message.body).group(1)
    assert pay_link.startswith(f"{base}/")

    guardian = new_page(chromium)  # the guardian's own phone: a fresh browser, no session
    guardian.goto(pay_link)
    guardian.get_by_role("heading", name=re.compile(rf"Invoice {re.escape(invoice.number)}")).wait_for()
    guardian.get_by_role("button", name="Pay ₦120,000.00 now").click()
    guardian.wait_for_url("**/payments/demo/checkout/**")
    guardian.get_by_role("button", name="Pay ₦120,000.00").click()
    guardian.get_by_role("heading", name="Payment received").wait_for()
    worker.drain()  # the outbox applies the payment to the invoice and asks for the receipt

    panel.get_by_role("tab", name="Fees").click()
    settled(page)
    panel.locator(".badge-paid").wait_for()
    facts = dict(
        zip(panel.locator("dl.facts dt").all_inner_texts(), panel.locator("dl.facts dd").all_inner_texts(), strict=True)
    )
    assert (facts["Status"], facts["Paid"], facts["Balance"]) == ("Paid", "₦120,000.00", "₦0.00")
    payments = panel.get_by_role("table", name=f"Payments on invoice {invoice.number}").inner_text()
    assert "₦120,000.00" in payments and "Confirmed" in payments

    # 4. The registrar enrols the child from the panel.
    panel.get_by_role("button", name="Enrol as a student").click()
    panel.get_by_text(re.compile(r"Enrolled as Adaeze Nwosu \(")).wait_for()
    settled(page)
    worker.drain()  # the welcome message
    panel.get_by_role("tab", name="History").click()
    settled(page)
    history = panel.locator("ol.timeline").inner_text()
    for line in (
        "Submitted",
        "Pending → In review",
        "In review → Approved",
        "Approved → Enrolled",
        f"Invoice {invoice.number} issued for ₦120,000.00",
        "Application received by SMS",
        "Invoice issued by SMS",
        "Payment ₦120,000.00",
        "Welcome by SMS",
    ):
        assert line in history, f"{line!r} not in the History tab:\n{history}"
    assert history.index("In review → Approved") < history.index("Payment ₦120,000.00")
    assert history.index("Payment ₦120,000.00") < history.index("Approved → Enrolled")

    panel.get_by_role("link", name=re.compile(r"^Adaeze Nwosu \(")).click()
    page.wait_for_url("**/s/greenfield/students/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Adaeze Nwosu"
    assert "Active" in page.locator(".record-header dl.facts").inner_text()
    page.locator(".record-tabs").get_by_role("link", name="Enrolment").click()
    page.wait_for_url("**/s/greenfield/students/*/enrolment/")
    enrolment = page.locator("#enrolment-h + .table-wrap tbody").inner_text()
    assert "GFA JSS 1A" in enrolment and "Active" in enrolment
    application.refresh_from_db()
    assert application.status == "converted" and application.student.status == "active"
    assert "/admin/" not in page.url

    # 5. The dashboard, live today: two leads, one enrolled, the payment collected, nothing owed.
    page.goto(f"{base}/s/greenfield/")
    assert _tile(page, "leads") == "2"
    assert _tile(page, "enrollments") == "1"
    assert _tile(page, "conversion_rate") == "50.0%"
    assert _tile(page, "revenue") == "₦120,000.00"
    assert _tile(page, "approved") == "0" and _tile(page, "in_review") == "0"
    assert _figures(page)[_day_label(today)] == ("2", "₦120,000.00")
    assert "today so far ₦120,000.00" in page.locator("svg.chart-svg desc").last.text_content()

    # The next day, 02:05 school time (the clock moved: the live server runs in this process).
    real_now = timezone.now
    offset = school.local_day_start(today + DAY) + datetime.timedelta(hours=2, minutes=5) - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)
    assert school.local_today() == today + DAY
    # Past days come from the sink alone: before the nightly run, yesterday shows as zero, flagged.
    page.reload()
    page.get_by_text("1 earlier day not aggregated yet, so shown as zero.").wait_for()
    assert (_tile(page, "leads"), _tile(page, "revenue")) == ("0", "₦0.00")

    # The nightly job (the hourly schedule's 02:00 run) writes yesterday's rows.
    assert kpi.kpi_aggregate_due_schools() == {"aggregated": ["greenfield"], "failed": []}
    registration = RegistrationKpiDaily.objects.get(school=school, day=today)
    revenue = RevenueDaily.objects.get(school=school, day=today)
    assert (registration.leads, registration.converted, registration.in_review, registration.approved) == (2, 1, 1, 1)
    assert (revenue.collected_minor, revenue.payments, revenue.invoiced_minor) == (12_000_000, 1, 12_000_000)

    page.reload()
    assert page.get_by_text("not aggregated yet").count() == 0
    assert (
        "earlier days come from the nightly aggregate (last written"
        in page.locator(".dashboard .help").first.inner_text()
    )
    assert _tile(page, "leads") == "2"
    assert _tile(page, "enrollments") == "1"
    assert _tile(page, "conversion_rate") == "50.0%"
    assert _tile(page, "revenue") == "₦120,000.00"
    figures = _figures(page)
    assert figures[_day_label(today)] == ("2", "₦120,000.00")  # yesterday, from the sink
    assert figures[_day_label(today + DAY)] == ("0", "₦0.00")  # today, live, nothing yet
    desc = page.locator("svg.chart-svg desc").last.text_content()
    assert "today so far ₦0.00" in desc and "Total ₦120,000.00" in desc
