"""The school's settings page, /s/<slug>/settings/: each section saves and is audited old -> new, a
refused section changes nothing, and only the school's own managers reach it."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from classpoint.flags import school_states
from classpoint.models import AuditLog
from messaging import pipeline
from schools.errors import SchoolsError
from schools.models import School, SchoolProfile
from schools.services.settings import school_regional_update

pytestmark = pytest.mark.django_db

URL = "/s/greenfield/settings/"
SHOWN = "online_payments,public_applications,attendance,results"


def image_file(fmt="PNG", size=(300, 120), name=None, colour="navy"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    extension = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[fmt]
    return SimpleUploadedFile(name or f"logo.{extension}", buffer.getvalue(), content_type=f"image/{extension}")


def profile(school):
    return SchoolProfile.objects.get(school=school)


def audits(school, action):
    return list(AuditLog.objects.filter(school=school, action=action).values_list("changes", flat=True))


@pytest.fixture
def admin(school, alice, verified_client):
    return verified_client(alice)


def test_the_page_shows_every_section_to_the_schools_manager(
    school, admin, django_assert_max_num_queries, other_school
):
    with django_assert_max_num_queries(14):
        page = admin.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    for heading in ("School details", "Contact", "Logo", "Messaging", "Regional", "Public application form", "Modules"):
        assert f">{heading}</h2>" in body, heading
    # The admission pattern and the days to pay are edited where they belong, and linked from here.
    assert "/s/greenfield/registrar/settings/#admission-number" in body
    assert "/s/greenfield/fees/setup/due-dates/" in body
    assert 'value="21:00"' in body and 'value="07:00"' in body
    assert f'name="shown" value="{SHOWN}"' in body


def test_details_save_the_name_and_audit_it(school, admin, alice):
    response = admin.post(f"{URL}details/", {"name": "  Greenfield   International  "})
    assert response.status_code == 302 and response["Location"].endswith("#details")
    assert School.objects.get(pk=school.pk).name == "Greenfield International"
    [changes] = audits(school, "school.details_updated")
    assert changes == {"name": ["Greenfield Academy", "Greenfield International"]}


def test_a_blank_name_is_refused_beside_its_input_and_nothing_changes(school, admin):
    response = admin.post(f"{URL}details/", {"name": "   "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the school&#x27;s name." in body and "Nothing was saved" in body
    assert School.objects.get(pk=school.pk).name == "Greenfield Academy"
    assert not audits(school, "school.details_updated")


def test_contact_details_save_normalised_and_audited_old_to_new(school, admin):
    SchoolProfile.objects.filter(school=school).update(address="Old road")
    response = admin.post(
        f"{URL}contact/",
        {
            "address": "12 Palm Avenue\n  Ikeja, Lagos ",
            "phone": "0803 123 4567",
            "email": "Office@Greenfield.ng",
            "website": "greenfield.ng",
        },
    )
    assert response.status_code == 302
    saved = profile(school)
    assert (saved.address, saved.phone, saved.email, saved.website) == (
        "12 Palm Avenue\nIkeja, Lagos",
        "+2348031234567",
        "office@greenfield.ng",
        "https://greenfield.ng",
    )
    [changes] = audits(school, "school.contact_updated")
    assert changes["address"] == ["Old road", "12 Palm Avenue\nIkeja, Lagos"]
    assert changes["phone"] == ["", "+2348031234567"]


def test_bad_contact_details_are_each_named_and_nothing_changes(school, admin):
    before = profile(school)
    response = admin.post(
        f"{URL}contact/", {"address": "1 Road", "phone": "12", "email": "not-an-email", "website": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid phone number" in body and "Enter a valid email address" in body
    after = profile(school)
    assert (after.address, after.phone, after.email) == (before.address, before.phone, before.email)
    assert not audits(school, "school.contact_updated")


def test_a_png_logo_is_stored_re_encoded_shown_and_audited(school, admin):
    response = admin.post(f"{URL}logo/", {"logo": image_file(size=(1200, 480))})
    assert response.status_code == 302
    saved = profile(school)
    assert saved.logo.name.startswith("logos/greenfield-") and saved.logo.name.endswith(".png")
    with saved.logo.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.format == "PNG" and stored.size == (600, 240)  # scaled to fit 600 px
    [changes] = audits(school, "school.logo_uploaded")
    assert changes == {"logo": ["", saved.logo.name]}
    page = admin.get(URL).content.decode()
    assert 'src="data:image/png;base64,' in page and "Replace the logo" in page


def test_a_replaced_logo_file_is_deleted_once_the_new_one_is_saved(school, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"{URL}logo/", {"logo": image_file()})
    first = profile(school).logo
    storage, first_name = first.storage, first.name
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"{URL}logo/", {"logo": image_file(fmt="JPEG")})
    assert profile(school).logo.name.endswith(".jpg")
    assert not storage.exists(first_name)


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
            "Upload a PNG or JPEG image",
        ),
        (image_file(fmt="GIF"), "Upload a PNG or JPEG image"),
        (SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10), "could not be read"),
        (SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024)), "larger than 2 MB"),
        (image_file(size=(8, 8)), "too small"),
    ],
    ids=["svg", "gif", "broken-png", "too-large", "too-small"],
)
def test_a_logo_that_is_not_a_safe_png_or_jpeg_is_refused_and_the_old_one_kept(school, admin, upload, message):
    admin.post(f"{URL}logo/", {"logo": image_file()})
    kept = profile(school).logo.name
    response = admin.post(f"{URL}logo/", {"logo": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert profile(school).logo.name == kept
    assert len(audits(school, "school.logo_uploaded")) == 1


def test_posting_no_file_asks_for_one(school, admin):
    response = admin.post(f"{URL}logo/", {})
    assert response.status_code == 400 and "Choose an image file to upload." in response.content.decode()


def test_removing_the_logo_is_audited_and_the_page_says_there_is_none(school, admin):
    admin.post(f"{URL}logo/", {"logo": image_file()})
    name = profile(school).logo.name
    assert admin.post(f"{URL}logo/remove/").status_code == 302
    assert not profile(school).logo
    assert audits(school, "school.logo_removed") == [{"logo": [name, ""]}]
    assert "No logo yet" in admin.get(URL).content.decode()


def test_quiet_hours_saved_here_are_the_ones_messaging_holds_messages_by(school, admin):
    response = admin.post(
        f"{URL}messaging/",
        {"quiet_hours_start": "22:30", "quiet_hours_end": "06:15", "channels": ["sms", "whatsapp", "email"]},
    )
    assert response.status_code == 302
    saved = profile(school)
    assert (saved.quiet_hours_start, saved.quiet_hours_end) == (datetime.time(22, 30), datetime.time(6, 15))
    [changes] = audits(school, "school.messaging_updated")
    assert changes == {"quiet_hours_start": ["21:00", "22:30"], "quiet_hours_end": ["07:00", "06:15"]}
    # The window crosses midnight in school time (Lagos): 22:29 sends, 22:30 waits until 06:15.
    lagos = school.tzinfo
    assert pipeline.quiet_hours_end(school=school, now=datetime.datetime(2026, 3, 3, 22, 29, tzinfo=lagos)) is None
    held = pipeline.quiet_hours_end(school=school, now=datetime.datetime(2026, 3, 3, 22, 30, tzinfo=lagos))
    assert held == datetime.datetime(2026, 3, 4, 6, 15, tzinfo=lagos)


def test_channels_switched_off_are_saved_as_the_schools_flags_and_audited(school, other_school, admin):
    response = admin.post(
        f"{URL}messaging/", {"quiet_hours_start": "21:00", "quiet_hours_end": "07:00", "channels": ["sms"]}
    )
    assert response.status_code == 302
    states = school_states(school)
    assert (states["sms"], states["whatsapp"], states["email"]) == (True, False, False)
    assert school_states(other_school)["whatsapp"] is True
    [changes] = audits(school, "school.messaging_updated")
    assert changes == {"whatsapp": [True, False], "email": [True, False]}
    page = admin.get(URL).content.decode()
    assert 'name="channels" value="sms" id="id_channels_0" checked' in page.replace("\n", "")


def test_no_channel_at_all_and_a_missing_time_are_refused_and_nothing_changes(school, admin):
    response = admin.post(f"{URL}messaging/", {"quiet_hours_start": "23:00", "quiet_hours_end": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Keep at least one channel" in body and "Enter a time" in body
    assert profile(school).quiet_hours_start == datetime.time(21, 0)
    assert all(school_states(school)[c] for c in ("sms", "whatsapp", "email"))


def test_regional_settings_save_and_the_clock_follows_the_time_zone(school, admin):
    response = admin.post(
        f"{URL}regional/", {"timezone": "Africa/Accra", "currency_display": "code", "default_language": "es"}
    )
    assert response.status_code == 302
    school.refresh_from_db()
    saved = profile(school)
    assert (school.timezone, saved.currency_display, saved.default_language) == ("Africa/Accra", "code", "es")
    [changes] = audits(school, "school.regional_updated")
    assert changes == {
        "timezone": ["Africa/Lagos", "Africa/Accra"],
        "currency_display": ["symbol", "code"],
        "default_language": ["en", "es"],
    }
    assert "Africa/Accra" in admin.get(URL).content.decode()


def test_an_unknown_time_zone_or_language_is_refused_and_nothing_changes(school, admin):
    response = admin.post(
        f"{URL}regional/", {"timezone": "Mars/Olympus", "currency_display": "words", "default_language": "xx"}
    )
    assert response.status_code == 400
    assert response.content.decode().count('class="field-error"') >= 3
    school.refresh_from_db()
    assert (school.timezone, profile(school).currency_display) == ("Africa/Lagos", "symbol")
    assert not audits(school, "school.regional_updated")


def test_the_service_checks_the_time_zone_against_zoneinfo_itself(school, alice):
    with pytest.raises(SchoolsError) as refused:
        school_regional_update(
            school=school, actor=alice, timezone="Lagos", currency_display="symbol", default_language="en"
        )
    assert list(refused.value.fields) == ["timezone"]


def test_public_form_intro_saves_and_a_too_long_one_is_refused(school, admin):
    assert (
        admin.post(
            f"{URL}public-form/", {"public_form_intro": "Bring a birth certificate.\n\nFees: see below."}
        ).status_code
        == 302
    )
    assert profile(school).public_form_intro == "Bring a birth certificate.\n\nFees: see below."
    refused = admin.post(f"{URL}public-form/", {"public_form_intro": "x" * 2001})
    assert refused.status_code == 400
    assert profile(school).public_form_intro.startswith("Bring")
    assert len(audits(school, "school.public_form_updated")) == 1


def test_modules_switched_off_are_saved_per_school_and_audited(school, other_school, admin):
    response = admin.post(f"{URL}features/", {"modules": ["results", "public_applications"], "shown": SHOWN})
    assert response.status_code == 302
    states = school_states(school)
    assert (states["attendance"], states["online_payments"], states["results"]) == (False, False, True)
    assert school_states(other_school)["attendance"] is True
    [changes] = audits(school, "school.features_updated")
    assert changes == {"online_payments": [True, False], "attendance": [True, False]}


def test_an_unknown_module_is_refused(school, admin):
    response = admin.post(f"{URL}features/", {"modules": ["results", "teleportation"], "shown": SHOWN})
    assert response.status_code == 400
    assert all(school_states(school).values())


def test_a_post_that_names_no_module_offered_switches_nothing_off(school, admin):
    # A form without its list of offered modules (a truncated post) cannot mean "switch all off".
    response = admin.post(f"{URL}features/", {})
    assert response.status_code == 400 and "reload the page" in response.content.decode()
    assert all(school_states(school).values())


def test_a_module_the_page_did_not_offer_is_left_as_it_is(school, admin):
    # A page loaded before "results" existed posts without it: results stays on.
    response = admin.post(f"{URL}features/", {"modules": ["attendance"], "shown": "attendance,online_payments"})
    assert response.status_code == 302
    states = school_states(school)
    assert (states["attendance"], states["online_payments"], states["results"]) == (True, False, True)


def test_another_schools_admin_reaches_none_of_it(school, other_school, charlie, verified_client):
    client = verified_client(charlie)
    assert client.get(URL).status_code == 404
    for section, data in (
        ("details/", {"name": "Hijacked"}),
        ("features/", {"modules": []}),
        ("logo/remove/", {}),
        ("messaging/", {"quiet_hours_start": "00:00", "quiet_hours_end": "23:59", "channels": ["sms"]}),
    ):
        assert client.post(URL + section, data).status_code == 404
    school.refresh_from_db()
    assert school.name == "Greenfield Academy" and all(school_states(school).values())
    assert profile(school).quiet_hours_start == datetime.time(21, 0)


def test_a_member_who_does_not_manage_the_school_gets_403_and_no_nav_link(school, bursar, verified_client):
    client = verified_client(bursar)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}details/", {"name": "Bursary"}).status_code == 403
    assert 'href="/s/greenfield/settings/"' not in client.get("/s/greenfield/students/").content.decode()


def test_the_schools_manager_finds_settings_in_the_nav(school, admin):
    body = admin.get("/s/greenfield/students/").content.decode()
    assert 'href="/s/greenfield/settings/"' in body
