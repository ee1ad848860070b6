"""The bursar's term, end to end in a real headless Chromium: fee set-up, bulk invoicing, a guardian
paying online through the demo gateway and another sending a transfer proof the bursar approves,
receipts with PDFs, a refund, defaulters and reminders."""

import datetime
import re

from classpoint.browser_testing import BROWSER_MARKS, new_page, sign_in_with_totp

pytestmark = BROWSER_MARKS


def _family(school, n):
    from schools.tests import factories as f

    term, group = school.current_term(), school.class_groups.get()
    student = f.StudentFactory(school=school, admission_number=f"GFA/000{n}", first_name=f"Pupil{n}")
    guardian = f.GuardianFactory(school=school, first_name=f"Parent{n}")
    f.link(student, guardian)
    f.enroll(student, term, group)
    return student


def test_a_bursars_term_from_fee_set_up_to_reminders(live_server, school, bursar, chromium, settings):
    from classpoint.demo import demo_png
    from classpoint.models import AuditLog, OutboxEvent
    from classpoint.outbox import worker
    from fees.models import Invoice
    from payments.models import PaymentProof, Receipt

    settings.SITE_URL = live_server.url  # the demo gateway posts its webhook back to us
    bursar.set_password("correct-horse-battery")
    bursar.save()
    _family(school, 2), _family(school, 3)  # two more children in the class, each with a guardian
    base, today = live_server.url, school.local_today()
    page = new_page(chromium, accept_downloads=True)
    sign_in_with_totp(page, base, bursar)

    # Fee set-up: a fee item, then the class's schedule with a due date already past.
    page.get_by_role("link", name="Fee set-up").first.click()
    page.get_by_role("link", name="Add a fee item…").click()
    page.get_by_label("Code").fill("tuition")
    page.get_by_label("Name").fill("Tuition")
    page.get_by_label("Default amount").fill("50,000")
    page.get_by_role("button", name="Add fee item").click()
    assert "₦50,000.00" in page.locator("main").inner_text()
    page.goto(f"{base}/s/greenfield/fees/setup/schedules/new/")
    page.get_by_label("Name").fill("JSS 1, first term")
    page.get_by_label("For one class").select_option(label="GFA JSS 1A")
    page.get_by_label("Fee, line 1").select_option(label="Tuition (₦50,000.00)")
    page.get_by_label("Amount (NGN), line 1").fill("50000")
    page.get_by_label("Due date, line 1").fill((today - datetime.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Save schedule").last.click()
    assert "JSS 1, first term" in page.locator("main").inner_text()

    # Bulk invoicing of the class, with its progress page.
    page.goto(f"{base}/s/greenfield/fees/invoices/")
    page.get_by_role("link", name="Invoice a class or the whole school…").click()
    page.get_by_label("Class").select_option(label="GFA JSS 1A")
    page.get_by_role("button", name="Create and issue invoices").click()
    page.get_by_text("₦150,000.00").wait_for()  # the confirm step: three pupils, their total
    page.get_by_role("button", name="Issue 3 invoices").click()
    page.wait_for_url("**/fees/batches/*/")
    worker.drain()  # the task cluster's job; the page polls and updates itself
    page.get_by_text("Finished").wait_for()
    first_invoice, second_invoice, third_invoice = (
        Invoice.objects.get(student__admission_number=n) for n in ("GFA/0001", "GFA/0002", "GFA/0003")
    )
    assert first_invoice.status == "issued" and first_invoice.total_minor == 5_000_000

    # The first guardian pays online from the secure link the bursar sends.
    page.goto(f"{base}/s/greenfield/fees/invoices/{first_invoice.pk}/")
    link = page.locator("input[aria-label^='Secure link for']").first.input_value()
    guardian = new_page(chromium, accept_downloads=True)
    guardian.goto(link)
    guardian.get_by_role("button", name="Pay ₦50,000.00 now").click()
    guardian.wait_for_url("**/payments/demo/checkout/**")
    guardian.get_by_role("button", name="Pay ₦50,000.00").click()
    guardian.get_by_text("Payment").first.wait_for()
    worker.drain()
    first_invoice.refresh_from_db()
    assert first_invoice.status == "paid"

    # The second guardian paid by transfer and sends the slip from their own link.
    page.goto(f"{base}/s/greenfield/fees/invoices/{second_invoice.pk}/")
    link = page.locator("input[aria-label^='Secure link for']").first.input_value()
    guardian.goto(link)
    guardian.get_by_label("Transfer slip (PDF, JPEG or PNG)").set_input_files(
        {"name": "slip.png", "mimeType": "image/png", "buffer": demo_png()}
    )
    guardian.get_by_label("Amount transferred").fill("50,000")
    guardian.get_by_label("Date of the transfer").fill((today - datetime.timedelta(days=1)).isoformat())
    guardian.get_by_label("Bank reference (optional)").fill("GTB-778812")
    guardian.get_by_role("button", name="Send transfer proof").click()
    guardian.get_by_text("your transfer proof was received").wait_for()
    second_invoice.refresh_from_db()
    assert second_invoice.paid_minor == 0  # nothing is credited before review

    # The bursar reviews it from the queue, looking at the slip, and approves.
    page.get_by_role("link", name="Transfer proofs").first.click()
    page.get_by_role("link", name=re.compile(r"\d+ \w+ \d{4}")).first.click()
    page.wait_for_function("document.querySelector('img.proof-image').complete")
    assert page.locator("img.proof-image").evaluate("img => img.naturalWidth") == 240  # the slip itself shows
    page.get_by_role("button", name="Approve and credit").click()
    page.get_by_text("Proof approved").wait_for()
    worker.drain()
    second_invoice.refresh_from_db()
    assert second_invoice.status == "paid"
    assert PaymentProof.objects.get().status == "approved"

    # Receipts with PDFs: the receipt number on the invoice page downloads its PDF.
    page.goto(f"{base}/s/greenfield/fees/invoices/{second_invoice.pk}/")
    receipt = Receipt.objects.get(transaction__invoice=second_invoice)
    with page.expect_download() as download:
        page.get_by_role("link", name=receipt.number).click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # The transfer bounced: the bursar reverses it with a reason.
    page.get_by_label("Reason to reverse").fill("Transfer bounced")
    page.get_by_role("button", name="Reverse").click()
    page.get_by_text("Payment reversed").wait_for()
    worker.drain()
    second_invoice.refresh_from_db()
    receipt.refresh_from_db()
    assert (second_invoice.status, second_invoice.balance_minor, receipt.is_void) == ("issued", 5_000_000, True)

    # Defaulters: the two who still owe, and one reminder per family. Issued after the schedule's
    # date, the invoices were due 14 days after issue: they are dated back as if sent a month ago.
    month_ago, ten_days_ago = today - datetime.timedelta(days=30), today - datetime.timedelta(days=10)
    Invoice.objects.filter(pk__in=[third_invoice.pk, first_invoice.pk, second_invoice.pk]).update(
        issue_date=month_ago, due_date=ten_days_ago
    )
    page.goto(f"{base}/s/greenfield/fees/defaulters/")
    table = page.locator("table").last.inner_text()
    assert second_invoice.number in table and third_invoice.number in table and first_invoice.number not in table
    page.get_by_role("button", name="Send reminders").click()
    page.get_by_text("Reminders requested for 2 families").wait_for()
    notices = OutboxEvent.objects.filter(event_type="messaging.requested", payload__template="OVERDUE_NOTICE")
    listed = sorted(item["invoice_number"] for n in notices for item in n.payload["context"]["invoices"])
    assert listed == sorted([second_invoice.number, third_invoice.number])

    # The same story through the API…
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(bursar)
    txs = api.get("/api/v1/schools/greenfield/transactions/").json()["results"]
    assert sorted((t["kind"], t["status"]) for t in txs) == [("bank_transfer", "reversed"), ("gateway", "confirmed")]
    receipts = api.get("/api/v1/schools/greenfield/receipts/").json()["results"]
    assert sorted((r["is_void"], r["pdf_ready"]) for r in receipts) == [(False, True), (True, True)]
    assert api.get("/api/v1/schools/greenfield/proofs/?status=approved").json()["count"] == 1
    assert api.get("/api/v1/schools/greenfield/defaulters/").json()["count"] == 2
    api.force_authenticate(school.memberships.get(role__key="school_admin").user)
    logged = api.get("/api/v1/schools/greenfield/audit-log/?action_prefix=payment").json()["results"]
    assert {"payment.confirmed", "payment.reversed", "payment_proof.approved"} <= {e["action"] for e in logged}

    # …and in the audit log, every money change.
    actions = set(AuditLog.objects.filter(school=school).values_list("action", flat=True))
    assert {
        "fee_item.created",
        "fee_schedule.created",
        "payment.confirmed",
        "payment_proof.submitted",
        "payment_proof.approved",
        "receipt.issued",
        "payment.reversed",
        "collections.reminders_requested",
    } <= actions
