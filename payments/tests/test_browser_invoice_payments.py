"""The payments part of fees' invoice page in a real headless Chromium: a counter payment recorded
from the page shows as being applied, and the section (polling payments' URL) updates itself and
the page's figures once the outbox has credited it and issued the receipt."""

from classpoint.browser_testing import BROWSER_MARKS, new_page, sign_in_with_totp
from classpoint.outbox import worker
from payments.models import Receipt

from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = BROWSER_MARKS


def test_a_counter_payment_settles_on_the_invoice_page_without_a_reload(live_server, school, bursar, chromium, invoice):
    # given an issued invoice of ₦100,000 and its bursar on its page
    worker.drain()
    bursar.set_password("correct-horse-battery")
    bursar.save()
    page = new_page(chromium)
    sign_in_with_totp(page, live_server.url, bursar)
    page.goto(f"{live_server.url}/s/greenfield/fees/invoices/{invoice.pk}/")
    # when the bursar records ₦20,000 in cash
    page.get_by_label("Paid by").select_option("cash")
    page.get_by_label("Amount", exact=True).fill("20000")
    page.get_by_role("button", name="Record payment").click()
    # then the page says so and counts it as being applied while the receipt is prepared
    page.get_by_text("Payment recorded; the receipt follows.").wait_for()
    assert "₦20,000.00 being applied" in page.locator("#invoice-facts").inner_text()
    assert "Receipt being prepared" in page.locator("#invoice-payments").inner_text()
    # and once the outbox has run, the section and the figures update by themselves
    worker.drain()
    receipt = Receipt.objects.get(transaction__invoice=invoice)
    page.locator("#invoice-payments").get_by_role("link", name=receipt.number).wait_for()
    page.wait_for_function("!document.querySelector('#invoice-facts').innerText.includes('being applied')")
    facts = page.locator("#invoice-facts").inner_text()
    assert "₦20,000.00" in facts and "₦80,000.00" in facts
    assert page.locator("#invoice-payments[hx-trigger]").count() == 0  # it stopped polling
