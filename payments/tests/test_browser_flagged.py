"""The flagged-payment queue in a real headless Chromium: the bursar follows the dashboard's rail to
the queue, is told beside the field when closing without a reason, then closes one payment and
accepts another, each card answering in place (htmx) and the count following."""

from classpoint.browser_testing import BROWSER_MARKS, new_page, settled, sign_in_with_totp
from classpoint.outbox import worker
from payments.models import PaymentTransaction

from .test_flagged import flag
from .test_payments import invoice  # noqa: F401  (fixture)

pytestmark = BROWSER_MARKS


def test_a_bursar_closes_one_flagged_payment_and_accepts_another(live_server, client, bursar, chromium, invoice):
    # given two charges that disagreed with their pay links, held back as flagged
    first = flag(client, invoice, bursar, event_id="1", amount=5_000)
    second = flag(client, invoice, bursar, event_id="2", amount=6_000_000)
    bursar.set_password("correct-horse-battery")
    bursar.save()
    page = new_page(chromium)
    sign_in_with_totp(page, live_server.url, bursar)
    # when the bursar follows the dashboard's rail to the queue
    rail = page.locator('[data-rail="flagged"]')
    assert rail.inner_text().split() == ["2", "Flagged", "payments", "to", "resolve"]
    rail.get_by_role("link").click()
    page.get_by_role("heading", name="Flagged payments", level=1).wait_for()
    card = page.locator(f"#flagged-{first.pk}")
    assert "₦50.00" in card.inner_text() and "₦100,000.00" in card.inner_text()
    # and closes the first without a reason
    card.get_by_role("button", name="Close with this reason").click()
    # then the card says what is missing beside the field, and the field is focused to correct it
    error = page.locator(f"#flagged-{first.pk}-reason_error")
    error.wait_for()
    assert "Say why the payment is closed" in error.inner_text()
    settled(page)
    assert page.evaluate("document.activeElement.id") == f"flagged-{first.pk}-reason"
    # when the reason is given
    page.get_by_label("Reason for closing").first.fill("Refunded through the gateway")
    card.get_by_role("button", name="Close with this reason").click()
    # then the card shows the outcome in place and the count drops
    card.get_by_text("Closed without crediting by").wait_for()
    assert page.locator("#flagged-open-count").inner_text() == "1"
    assert "/flagged/" in page.url and "accept" not in page.url and "close" not in page.url
    # when the second is accepted
    other = page.locator(f"#flagged-{second.pk}")
    other.get_by_role("button", name="Accept and credit").click()
    other.get_by_text("Accepted: ₦60,000.00 is credited to").wait_for()
    assert page.locator("#flagged-open-count").inner_text() == "0"
    assert PaymentTransaction.objects.get(pk=first.pk).status == "closed"
    assert PaymentTransaction.objects.get(pk=second.pk).status == "confirmed"
    # and the outbox credits it as it credits any payment
    worker.drain()
    invoice.refresh_from_db()
    assert invoice.paid_minor == 6_000_000
