"""Issue 5's "Done when", end to end in a real headless Chromium: staff work in the fees, consent and
announcement pages, and every message that follows is checked where staff look for it, in the
message log and its detail page. An invoice notice, a payment receipt, overdue reminders and
announcements reach the log provider with the right text; a receipt asked for at night waits until
07:00; a guardian who withdrew consent is suppressed with the reason; a signed Twilio callback moves
a WhatsApp message from sent to delivered."""

import datetime
import io
import json
import re

import pytest
from django.core.management import call_command

from classpoint.browser_testing import BROWSER_MARKS, new_page, sign_in_with_totp

pytestmark = BROWSER_MARKS

STATUS_PATH = "/messaging/callbacks/twilio/status/"


class Clock:
    """messaging.pipeline._now, the one clock quiet hours read (the pipeline, the send task and the
    deferred sweep alike). The live server runs in this process, so its requests see it too."""

    def __init__(self, school):
        self.school, self.now = school, None

    def at(self, day, hour, minute=0):
        self.now = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.school.tzinfo)


@pytest.fixture
def clock(school, monkeypatch):
    from messaging import pipeline

    clock = Clock(school)
    clock.at(school.local_today(), 10)  # a school morning, whatever the time the suite runs
    monkeypatch.setattr(pipeline, "_now", lambda: clock.now)
    return clock


@pytest.fixture
def twilio(school, settings, monkeypatch, live_server):
    """WhatsApp goes through Twilio (the SDK against a local stand-in); SMS keeps the log provider."""
    from classpoint import secrets
    from messaging.models import ProviderConfig
    from messaging.tests.fake_twilio import FakeTwilio

    with FakeTwilio(account_sid="AC0000000000000000000000000000001", auth_token="wa-token-1") as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.DELIVERY_CALLBACK_URL = live_server.url + STATUS_PATH
        settings.SECRETS_BACKEND = "env"
        secret = {
            "type": "twilio",
            "accountSid": fake.account_sid,
            "authToken": fake.auth_token,
            "from": "+2348000000001",
            "whatsappEnabled": True,
        }
        var = re.sub(r"[^A-Za-z0-9]+", "_", secrets.secret_name("providers", "gf-whatsapp")).upper()
        monkeypatch.setenv(var, json.dumps(secret))
        secrets.clear_cache()
        ProviderConfig.objects.create(school=school, channel="whatsapp", secret_key="gf-whatsapp")
        yield fake
    secrets.clear_cache()


def _second_family(school):
    """A pupil in another class (no fee schedule there) whose guardian takes WhatsApp."""
    from schools.tests import factories as f

    group = f.ClassGroupFactory(school=school, name="GFA JSS 2A", level="JSS 2")
    student = f.StudentFactory(school=school, admission_number="GFA/0002", first_name="Tobi", last_name="Bello")
    guardian = f.GuardianFactory(
        school=school, first_name="Kemi", last_name="Bello", preferred_channel="whatsapp", consent_whatsapp=True
    )
    f.link(student, guardian)
    f.enroll(student, school.current_term(), group)
    return guardian


def _fees(school, actor, due):
    from fees import services

    item = services.fee_item_create(
        school=school, actor=actor, code="tuition", name="Tuition", default_amount_minor=5_000_000
    )
    services.fee_schedule_create(
        school=school,
        actor=actor,
        term=school.current_term(),
        name="JSS 1, first term",
        class_group=school.class_groups.get(name="GFA JSS 1A"),
        lines=[{"fee_item": item, "amount_minor": 5_000_000, "due_date": due}],
    )


def _log_row(page, base, text):
    """The message log's row holding `text` (waits for it), as the page shows it."""
    page.goto(f"{base}/s/greenfield/messages/")
    row = page.locator("#log-table tbody tr", has_text=text)
    row.first.wait_for()
    return row


def _open_detail(page, row):
    """Open a log row's detail page; returns (everything above the history, the history table)."""
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    history = page.get_by_role("region", name="Status history").inner_text()
    return page.locator("main").inner_text(), history


def _history_statuses(history):
    return [line.split("\t")[1] for line in history.splitlines() if line.count("\t") >= 2][1:]  # skip the header


def test_messages_staff_cause_are_all_visible_in_the_message_log(live_server, school, alice, chromium, clock, twilio):
    import requests
    from twilio.request_validator import RequestValidator

    from classpoint.outbox import worker
    from fees.models import Invoice
    from messaging.models import Message
    from payments.models import Receipt
    from schools.models import Guardian, Student

    base, today = live_server.url, school.local_today()
    pupil = Student.objects.get(admission_number="GFA/0001")
    ada = Guardian.objects.get(student_links__student=pupil)
    ada_name, pupil_name = f"{ada.first_name} {ada.last_name}", f"{pupil.first_name} {pupil.last_name}"
    kemi = _second_family(school)
    _fees(school, alice, due=today - datetime.timedelta(days=10))
    page = new_page(chromium)
    sign_in_with_totp(page, base, alice)

    # Consent first: the admin records on the guardian's consent page what Ada signed at admission.
    page.goto(f"{base}/s/greenfield/students/{pupil.pk}/")
    page.get_by_role("link", name="Record consent").click()
    page.get_by_label("SMS").check()
    page.get_by_label("Email").check()
    page.get_by_label("How was it given? (optional)").fill("Signed the consent form at admission")
    page.get_by_role("button", name="Record consent").click()
    page.get_by_text("Consent recorded (2 changes).").wait_for()

    # 1. An invoice issued from the bulk-invoicing page: Ada is told by SMS, through the log provider.
    page.goto(f"{base}/s/greenfield/fees/batches/new/")
    page.get_by_label("Class").select_option(label="GFA JSS 1A")
    page.get_by_role("button", name="Create and issue invoices").click()
    page.get_by_role("button", name="Issue 1 invoice").click()
    page.wait_for_url("**/fees/batches/*/")
    worker.drain()
    page.get_by_text("Finished").wait_for()
    invoice = Invoice.objects.get(student=pupil)
    row = _log_row(page, base, "Invoice issued")
    assert row.count() == 1
    about = re.escape(f"about {pupil.first_name} {pupil.last_name}")
    assert re.search(
        rf"{ada_name} · {re.escape(ada.phone)}\s+SMS\s+Invoice issued\s+{about}\s+Delivered", row.inner_text()
    )
    main, history = _open_detail(page, row)
    # ₦ is spelled NGN in an SMS: one ₦ would make it UCS-2, 70 characters a segment instead of 160.
    assert f"fees for {pupil_name}: NGN50,000.00, due " in main and f"Invoice {invoice.number}. Pay: " in main
    assert "Provider\nlog" in main
    assert _history_statuses(history) == ["Queued", "Sending", "Sent", "Delivered"]
    assert "Delivered (log)." in history

    # 2. A cash payment at the counter: the receipt, with its number, follows.
    page.goto(f"{base}/s/greenfield/fees/invoices/{invoice.pk}/")
    page.get_by_label("Paid by").select_option("cash")
    page.get_by_label("Amount", exact=True).fill("20000")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_text("Payment recorded; the receipt follows.").wait_for()
    worker.drain()
    receipt = Receipt.objects.get(transaction__invoice=invoice)
    row = _log_row(page, base, "Payment receipt")
    assert "Delivered" in row.inner_text()
    main, history = _open_detail(page, row)
    assert f"received NGN20,000.00 for {pupil_name}. Receipt {receipt.number}. Balance: NGN30,000.00." in main
    assert _history_statuses(history)[-1] == "Delivered"

    # 3. Overdue: the daily scan marks the invoice and reminds Ada; the bursary's "Send reminders"
    # on the defaulters page asks for the family reminder on top. (Issued today, the invoice is not
    # yet due: it is dated back as if sent a month ago.)
    month_ago, ten_days_ago = today - datetime.timedelta(days=30), today - datetime.timedelta(days=10)
    Invoice.objects.filter(pk=invoice.pk).update(issue_date=month_ago, due_date=ten_days_ago)
    call_command("overdue_scan", school="greenfield", stdout=io.StringIO())
    worker.drain()
    page.goto(f"{base}/s/greenfield/fees/defaulters/")
    assert invoice.number in page.locator("table").last.inner_text()
    page.get_by_role("button", name="Send reminders").click()
    page.get_by_text("Reminders requested for 1 family").wait_for()
    worker.drain()
    page.goto(f"{base}/s/greenfield/messages/?type=OVERDUE_NOTICE")
    rows = page.locator("#log-table tbody tr")
    assert rows.count() == 2 and all("Delivered" in t for t in rows.all_inner_texts())
    main, _history = _open_detail(page, rows.first)
    assert f"Greenfield Academy: fees of NGN30,000.00 for {pupil_name} are overdue." in main

    # 4. An announcement to the whole school: written, published, counted. Ada's goes by SMS (log,
    # delivered at once); Kemi's by WhatsApp through Twilio, sent and waiting for Twilio's report.
    page.goto(f"{base}/s/greenfield/messages/")
    page.get_by_role("link", name="Announcements").first.click()
    page.get_by_role("link", name="Write an announcement").click()
    page.get_by_label("Title").fill("Sports day")
    page.get_by_label("Message").fill("Sports day is on Friday from 9am. Pupils come in house colours.")
    page.get_by_label("Who is it for?").select_option(label="Whole school")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Announcement saved.").wait_for()
    page.get_by_role("button", name="Publish now").click()
    page.get_by_text("Published: messages to families are on their way.").wait_for()
    worker.drain()
    page.reload()
    counts = page.locator("#announcement-counts tbody tr")
    # Requested, waiting, queued, deferred, sent (Kemi), delivered (Ada), failed, suppressed.
    assert counts.inner_text().split("\t") == ["2", "0", "0", "0", "1", "1", "0", "0"]
    page.goto(f"{base}/s/greenfield/messages/?type=ANNOUNCEMENT")
    table = page.locator("#log-table tbody").inner_text()
    assert re.search(rf"{ada_name} · {re.escape(ada.phone)}\s+SMS\s+Announcement\s+Delivered", table)
    assert re.search(rf"Kemi Bello · {re.escape(kemi.phone)}\s+WhatsApp\s+Announcement\s+Sent", table)
    assert twilio.calls[-1]["To"] == f"whatsapp:{kemi.phone}"
    assert twilio.calls[-1]["StatusCallback"] == live_server.url + STATUS_PATH
    assert "Sports day is on Friday from 9am." in twilio.calls[-1]["Body"]

    # 5. Twilio reports delivery to our callback URL, signed with the school's token; a forged report
    # is refused. The detail page shows the new status and where it came from.
    sid = Message.objects.get(guardian=kemi, template_type="ANNOUNCEMENT").provider_message_id
    url = live_server.url + STATUS_PATH
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": twilio.account_sid}

    def post(token):
        signature = RequestValidator(token).compute_signature(url, params)
        return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)

    assert post("not-the-token").status_code == 403
    assert post(twilio.auth_token).status_code == 204
    row = _log_row(page, base, "Kemi Bello")
    assert "Delivered" in row.inner_text()
    main, history = _open_detail(page, row)
    assert f"Provider\ntwilio ({sid})" in main
    assert _history_statuses(history) == ["Queued", "Sending", "Sent", "Delivered"]
    assert "Accepted by twilio." in history and "Twilio: delivered" in history

    # 6. Quiet hours: Ada pays the balance at 22:30. The receipt is asked for, and held until 07:00.
    clock.at(today, 22, 30)
    page.goto(f"{base}/s/greenfield/fees/invoices/{invoice.pk}/")
    page.get_by_label("Amount", exact=True).fill("30000")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_text("Payment recorded; the receipt follows.").wait_for()
    worker.drain()
    second = Receipt.objects.exclude(pk=receipt.pk).get(transaction__invoice=invoice)
    row = _log_row(page, base, "Deferred (quiet hours)")
    assert re.search(
        rf"Payment receipt\s+{about}\s+Deferred \(quiet hours\) Quiet hours: held until 07:00 school time\.",
        row.inner_text(),
    )
    main, history = _open_detail(page, row)
    tomorrow = today + datetime.timedelta(days=1)
    assert f"Held until\n{tomorrow.day} {tomorrow:%b %Y}, 07:00" in main and second.number in main
    assert _history_statuses(history) == ["Deferred (quiet hours)"]

    # The morning sweep (the every-minute schedule, here its command) sends it once quiet hours end.
    clock.at(tomorrow, 6, 59)
    call_command("send_deferred_messages", stdout=io.StringIO())
    page.reload()
    assert _history_statuses(page.get_by_role("region", name="Status history").inner_text()) == [
        "Deferred (quiet hours)"
    ]
    clock.at(tomorrow, 7, 1)
    call_command("send_deferred_messages", stdout=io.StringIO())
    page.reload()
    history = page.get_by_role("region", name="Status history").inner_text()
    assert _history_statuses(history) == ["Deferred (quiet hours)", "Queued", "Sending", "Sent", "Delivered"]
    assert "Quiet hours ended." in history
    assert f"Receipt {second.number}. Balance: NGN0.00." in page.locator("main").inner_text()

    # 7. Ada phones to stop every message; the admin records it on her consent page.
    clock.at(tomorrow, 10)
    page.goto(f"{base}/s/greenfield/messages/guardians/{ada.pk}/consent/")
    page.get_by_label("SMS").uncheck()
    page.get_by_label("Email").uncheck()
    page.get_by_label("How was it given? (optional)").fill("Phoned the office to stop all messages")
    page.get_by_role("button", name="Record consent").click()
    page.get_by_text("Consent recorded (2 changes).").wait_for()
    changes = page.get_by_role("region", name="Changes").inner_text()
    assert changes.count("Withdrew") == 2 and "Phoned the office to stop all messages" in changes

    # The next announcement: Ada's message is suppressed, with the reason; Kemi's goes.
    page.goto(f"{base}/s/greenfield/messages/announcements/new/")
    page.get_by_label("Title").fill("Early closing")
    page.get_by_label("Message").fill("School closes at noon on Friday.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Publish now").click()
    page.get_by_text("Published: messages to families are on their way.").wait_for()
    worker.drain()
    page.reload()
    # Requested, waiting, queued, deferred, sent (Kemi, through Twilio), delivered, failed, suppressed (Ada).
    counts = page.locator("#announcement-counts tbody tr").inner_text().split("\t")
    assert counts == ["2", "0", "0", "0", "1", "0", "0", "1"]
    page.goto(f"{base}/s/greenfield/messages/")
    page.get_by_label("Status").select_option(label="Suppressed")
    page.wait_for_url("**status=suppressed**")
    rows = page.locator("#log-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert re.search(
        rf"{ada_name} · {re.escape(ada.phone)}\s+SMS\s+Announcement\s+Suppressed Not sent: no consent for SMS; "
        r"no consent for WhatsApp; no consent for Email\.",
        rows.inner_text(),
    )
    main, history = _open_detail(page, rows.first)
    assert _history_statuses(history) == ["Suppressed"]

    # The whole story, as the unfiltered log counts it: nothing left queued, sending or deferred.
    statuses = sorted(Message.objects.for_school(school).values_list("template_type", "status"))
    assert statuses == sorted(
        [
            ("INVOICE_ISSUED", "delivered"),
            ("PAYMENT_RECEIPT", "delivered"),
            ("PAYMENT_RECEIPT", "delivered"),
            ("OVERDUE_NOTICE", "delivered"),
            ("OVERDUE_NOTICE", "delivered"),
            ("ANNOUNCEMENT", "delivered"),
            ("ANNOUNCEMENT", "delivered"),
            ("ANNOUNCEMENT", "sent"),
            ("ANNOUNCEMENT", "suppressed"),
        ]
    )
