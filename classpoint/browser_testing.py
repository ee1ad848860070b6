"""What the browser tests share: Debian's Chromium driven headless by Playwright, a page with a
patient default timeout, staff sign-in with a TOTP device, and waiting for htmx to settle.

A test module uses it explicitly:

    from classpoint.browser_testing import BROWSER_MARKS, new_page, sign_in_with_totp

    pytestmark = BROWSER_MARKS
"""

import os
import shutil

import pytest
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
# Browser tests talk to a live server in another thread, so they need real commits.
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
if not os.path.exists(CHROMIUM):
    BROWSER_MARKS.append(pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)"))

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
        # The test body ran in Playwright's greenlet, where Django keeps a connection of its own:
        # close it, or the test database cannot be dropped at the end of the run.
        connections.close_all()


def new_page(browser, **context):
    """A page in a fresh context (its own cookies: another person), waiting up to 15 s."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(15_000)
    return page


def settled(page):
    """htmx wires up swapped-in content when it settles (20 ms later); a person is never faster
    than that, a test is."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def sign_in_with_totp(page, base, user, *, password="correct-horse-battery", school_slug="greenfield"):  # noqa: S107 - the test users' password
    """Sign `user` in through the real forms, with a confirmed TOTP device made for them."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email or username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=token]").fill(f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"**/s/{school_slug}/")


@pytest.fixture
def browser_page(chromium):
    """One page, for a test with one person in it."""
    return new_page(chromium)


TEST_PASSWORD = "correct-horse-battery"  # noqa: S105 - the test users' password (conftest's alice)


def sign_in(page, base, user, *, password=TEST_PASSWORD, school_slug="greenfield"):
    """Sign `user` in through the real form (a role without two-step sign-in)."""
    page.goto(f"{base}/account/login/")
    page.get_by_label("Email or username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/s/{school_slug}/")


def signed_in_page(browser, base, user, **context):
    """A new person's page (`context`: viewport, is_mobile...; 1366 × 900 by default), signed in."""
    page = new_page(browser, **(context or {"viewport": {"width": 1366, "height": 900}}))
    sign_in(page, base, user)
    return page


def paste(page, field_id, text):
    """What a spreadsheet's copy pastes into a field: a paste event with the text on the clipboard."""
    page.evaluate(
        """([id, text]) => {
            const input = document.getElementById(id);
            input.focus();
            const data = new DataTransfer();
            data.setData('text/plain', text);
            input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        [field_id, text],
    )


def shot(page, name, *, full_page=True):
    """With CLASSPOINT_SHOTS=<folder>, the page saved there as `name` (.png added if missing), for a
    person to look at; nothing otherwise."""
    folder = os.environ.get("CLASSPOINT_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(
            path=os.path.join(folder, name if name.endswith(".png") else f"{name}.png"), full_page=full_page
        )
