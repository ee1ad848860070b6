"""A channel the school switched off (classpoint/flags.py) is not offered on the staff pages: the
announcement form has no box for it and refuses it when posted (a field error, nothing saved, the
same in the API), and the template editor neither lists nor opens its templates."""

import pytest

from classpoint.models import AuditLog, FeatureFlag
from messaging import announcements as ann
from messaging.defaults import seed_default_message_templates
from messaging.errors import MessagingError
from messaging.models import Announcement, Channel, MessageTemplate, TemplateType

pytestmark = pytest.mark.django_db

ANNOUNCEMENTS = "/s/greenfield/messages/announcements/"
API = "/api/v1/schools/greenfield/announcements/"
TEMPLATES = "/s/greenfield/messages/templates/"


def switch_off(school, *keys):
    for key in keys:
        FeatureFlag.objects.update_or_create(key=key, school=school, defaults={"enabled": False})


@pytest.fixture
def admin(school, alice, verified_client):
    return verified_client(alice)


# --- Announcements -----------------------------------------------------------------------------


def test_the_announcement_form_offers_only_the_channels_the_school_sends_by(school, other_school, admin):
    # given Greenfield switched WhatsApp off (Riverside did not)
    switch_off(school, "whatsapp")
    # when staff open the form
    page = admin.get(f"{ANNOUNCEMENTS}new/").content.decode()
    # then SMS and email are offered, WhatsApp is not
    assert 'value="sms"' in page and 'value="email"' in page
    assert 'value="whatsapp"' not in page and "WhatsApp" not in page


def test_posting_a_switched_off_channel_is_a_field_error_and_saves_nothing(school, admin):
    switch_off(school, "whatsapp")
    data = {"title": "Sports day", "body": "Friday at 9am.", "audience": "whole_school"}
    response = admin.post(f"{ANNOUNCEMENTS}new/", {**data, "channels": ["sms", "whatsapp"]})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["channels"]
    assert "does not send by WhatsApp" in form.errors["channels"][0]
    assert "does not send by WhatsApp" in response.content.decode()
    assert not Announcement.objects.for_school(school).exists()
    assert not AuditLog.objects.filter(school=school, action="announcement.created").exists()
    # and the channels the school has still save
    assert admin.post(f"{ANNOUNCEMENTS}new/", {**data, "channels": ["sms", "email"]}).status_code == 302
    assert Announcement.objects.for_school(school).get().channels == ["sms", "email"]


def test_the_service_and_the_api_refuse_a_switched_off_channel_too(school, other_school, alice, charlie, api):
    switch_off(school, "email", "whatsapp")
    with pytest.raises(MessagingError) as exc:
        ann.announcement_create(school=school, actor=alice, title="T", body="B", channels=["email", "whatsapp"])
    assert list(exc.value.fields) == ["channels"]
    assert "WhatsApp" in exc.value.fields["channels"][0] and "Email" in exc.value.fields["channels"][0]
    api.force_authenticate(alice)
    refused = api.post(API, {"title": "T", "body": "B", "channels": ["email"]}, format="json")
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["channels"]
    assert not Announcement.objects.for_school(school).exists()
    # another school's switches are its own
    theirs = ann.announcement_create(school=other_school, actor=charlie, title="T", body="B", channels=["email"])
    assert theirs.channels == ["email"]


def test_a_school_with_every_channel_off_is_told_so(school, admin):
    switch_off(school, "sms", "whatsapp", "email")
    page = admin.get(f"{ANNOUNCEMENTS}new/").content.decode()
    assert "The school sends by no channel" in page and 'name="channels"' not in page


# --- Message templates ----------------------------------------------------------------------------


def test_the_template_list_leaves_out_a_switched_off_channel(school, admin):
    # given WhatsApp is off and the school has no templates yet
    switch_off(school, "whatsapp")
    MessageTemplate.objects.for_school(school).delete()
    # when the admin opens the list
    page = admin.get(TEMPLATES).content.decode()
    # then it has columns for SMS and email only, and counts only their missing templates
    assert f"{TEMPLATES}WELCOME/sms/" in page and f"{TEMPLATES}WELCOME/email/" in page
    assert "/whatsapp/" not in page and ">WhatsApp<" not in page
    assert f"{len(TemplateType) * 2} templates are missing" in page
    # and adding the missing defaults adds those of the channels the school sends by
    assert admin.post(f"{TEMPLATES}seed/").status_code == 302
    seeded = MessageTemplate.objects.for_school(school).values_list("channel", flat=True)
    assert set(seeded) == {Channel.SMS, Channel.EMAIL} and len(seeded) == len(TemplateType) * 2


def test_a_switched_off_channels_templates_cannot_be_opened_or_saved(school, admin):
    seed_default_message_templates(school, channel="whatsapp")
    switch_off(school, "whatsapp")
    before = MessageTemplate.objects.for_school(school).get(type="WELCOME", channel="whatsapp", language="en")
    url = f"{TEMPLATES}WELCOME/whatsapp/"
    assert admin.get(url).status_code == 404
    assert admin.post(url, {"body": "Changed {{ student_name }}", "is_active": "on"}).status_code == 404
    assert admin.post(url + "preview/", {"body": "x"}).status_code == 404
    after = MessageTemplate.objects.for_school(school).get(pk=before.pk)
    assert after.body == before.body
    assert not AuditLog.objects.filter(school=school, action__startswith="message_template.").exists()
    # the template is kept: switching WhatsApp on again brings it back as it was
    FeatureFlag.objects.filter(school=school, key="whatsapp").update(enabled=True)
    assert before.body.split("{{")[0] in admin.get(url).content.decode()


def test_with_every_channel_off_the_template_list_says_why_it_is_empty(school, admin):
    switch_off(school, "sms", "whatsapp", "email")
    page = admin.get(TEMPLATES).content.decode()
    assert "The school sends by no channel" in page and "/messages/templates/WELCOME/" not in page
