"""A refused upload leaves no file in storage, on every way a document comes in: the public form,
the family's needs-info link and the staff panel. Counted over the whole (per-test) media root."""

import os
import re

import pytest
from django.conf import settings
from django.test import override_settings

from registrar import links, services
from registrar.models import Application

from . import factories as rf
from .test_public import URL, form_data

pytestmark = pytest.mark.django_db
S = Application.Status


def files_in_storage():
    return sum(len(files) for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(lambda: rf.upload(rf.EXE, "cert.pdf"), id="bad type"),
        pytest.param(lambda: rf.upload(rf.PDF + b"\0" * (1024 * 1024), "big.pdf"), id="oversize"),
    ],
)
@override_settings(APPLICATION_DOCUMENT_MAX_BYTES=1024 * 1024)
def test_a_refused_file_on_the_public_form_leaves_no_file(client, school, upload):
    # given
    before = files_in_storage()
    # when
    response = client.post(URL, form_data(photo=rf.upload(rf.PNG, "me.png", "image/png"), birth_certificate=upload()))
    # then
    assert response.status_code == 400
    assert files_in_storage() == before and not Application.objects.exists()


def test_a_refused_application_with_good_files_leaves_no_file(client, school):
    # given
    before = files_in_storage()
    # when: the files are fine, the application is not (a phone that is no phone)
    response = client.post(URL, form_data(g1_phone="12345", birth_certificate=rf.upload()))
    # then
    assert response.status_code == 400
    assert files_in_storage() == before and not Application.objects.exists()


@override_settings(APPLICATION_DOCUMENT_MAX_BYTES=1024 * 1024)
def test_refused_files_on_the_needs_info_link_leave_no_file(client, school, registrar):
    # given
    application = rf.in_status(school, S.NEEDS_INFO, registrar)
    link = _path(links.needs_info_url(application))
    before = files_in_storage()
    # when: a file of the wrong type, one too big
    for upload in (rf.upload(rf.EXE, "cert.pdf"), rf.upload(rf.PDF + b"\0" * (1024 * 1024), "big.pdf")):
        assert client.post(link, {"birth_certificate": upload, "photo": rf.upload()}).status_code == 400
    # then
    assert files_in_storage() == before
    # when: good files, but the application stopped waiting for them meanwhile
    services.application_transition(application=application, to_status=S.IN_REVIEW, actor=registrar)
    client.post(link, {"birth_certificate": rf.upload()})
    # then
    assert files_in_storage() == before and not application.documents.exists()


def test_a_refused_staff_upload_leaves_no_file(school, registrar, verified_client):
    # given: an application that is closed (rejected) and one that is open
    closed = rf.in_status(school, S.REJECTED, registrar)
    client = verified_client(registrar)
    before = files_in_storage()
    # when
    client.post(f"/s/greenfield/registrar/{closed.pk}/documents/", {"kind": "birth_certificate", "file": rf.upload()})
    # then
    assert files_in_storage() == before and not closed.documents.exists()
