"""The settings page in a real headless Chromium: a school admin changes the quiet hours and uploads
the logo, and the next invoice PDF carries the logo."""

import datetime
import io

from PIL import Image
from pypdf import PdfReader

from classpoint.browser_testing import BROWSER_MARKS, shot, sign_in_with_totp
from payments.tests.test_payments import invoice  # noqa: F401  (fixture)
from schools.models import SchoolProfile

pytestmark = BROWSER_MARKS


def test_admin_changes_quiet_hours_and_logo_and_the_next_invoice_pdf_shows_it(
    live_server,
    school,
    alice,
    invoice,  # noqa: F811
    browser_page,
    tmp_path,
):
    logo = tmp_path / "crest.png"
    Image.new("RGB", (320, 160), "maroon").save(logo, format="PNG")
    page = browser_page
    base = live_server.url
    sign_in_with_totp(page, base, alice)
    # given the admin on the settings page, found through the nav
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("heading", name="School settings").wait_for()
    # when she moves the quiet hours
    page.get_by_label("Start", exact=True).fill("22:00")
    page.get_by_label("End", exact=True).fill("06:30")
    page.get_by_role("button", name="Save the messaging settings").click()
    page.get_by_text("Messaging settings saved.").wait_for()
    # and uploads the school's logo
    page.get_by_label("Logo image").set_input_files(str(logo))
    page.get_by_role("button", name="Upload the logo").click()
    page.get_by_text("Logo saved.").wait_for()
    preview = page.get_by_role("img", name="Greenfield Academy's logo, as documents print it")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 320
    shot(page, "settings-after-logo")
    # then messaging holds messages by the new window
    profile = SchoolProfile.objects.get(school=school)
    assert (profile.quiet_hours_start, profile.quiet_hours_end) == (datetime.time(22, 0), datetime.time(6, 30))
    # and the next invoice PDF, opened in her session, carries the logo
    response = page.request.get(f"{base}/s/greenfield/fees/invoices/{invoice.pk}/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    [image] = PdfReader(io.BytesIO(response.body())).pages[0].images
    assert Image.open(io.BytesIO(image.data)).size == (320, 160)
