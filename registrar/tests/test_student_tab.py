"""The Documents tab of a pupil's record: the papers of the application the pupil came from, each
opened through a short-lived signed link, and kept in the audit log."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classpoint.models import AuditLog
from registrar.models import Application, ApplicationDocument
from registrar.services import document_add
from schools.tests import factories as f

from . import factories as rf

pytestmark = pytest.mark.django_db


def url(student, tail=""):
    return f"/s/{student.school.slug}/students/{student.pk}/documents/{tail}"


def admitted_with_documents(school, student, kinds=("birth_certificate",)):
    """An application with documents whose applicant became `student` (as conversion leaves it)."""
    photo = rf.upload(rf.PNG, name="photo.png", content_type="image/png")
    files = [(kind, photo if kind == "photo" else rf.upload()) for kind in kinds]
    application = rf.submit(school, documents=files)
    Application.objects.for_school(school).filter(pk=application.pk).update(student=student)
    return application


def test_the_documents_tab_lists_the_applications_papers(school, registrar, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    application = admitted_with_documents(school, student, kinds=("birth_certificate", "last_report"))
    carried = ApplicationDocument.objects.filter(application=application, kind="last_report").get()
    ApplicationDocument.objects.filter(pk=carried.pk).update(student=student)
    other = admitted_with_documents(school, f.StudentFactory(school=school), kinds=("photo",))

    response = verified_client(registrar).get(url(student))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Birth certificate" in body and "Last school report" in body and "Passport photo" not in body
    assert application.reference in body and other.reference not in body
    assert AuditLog.objects.filter(action="student.viewed", target_id=str(student.pk)).count() == 1


def test_a_document_opens_through_a_signed_link_and_the_opening_is_kept(school, registrar, verified_client, settings):
    student = school.students.get(admission_number="GFA/0001")
    document = admitted_with_documents(school, student).documents.get()
    client = verified_client(registrar)
    response = client.get(url(student, f"{document.pk}/"))
    assert response.status_code == 302 and re.search(r"/files/[^/]+/$", response["Location"])
    file_response = client.get(response["Location"][len(settings.SITE_URL.rstrip("/")) :])
    assert b"".join(file_response.streaming_content).startswith(b"%PDF-")
    entry = AuditLog.objects.get(action="student.document_viewed", target_id=str(student.pk))
    assert (entry.actor, entry.changes["document_id"]) == (registrar, document.pk)


def test_another_pupils_or_schools_document_is_a_404(school, other_school, registrar, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    someone_else = f.StudentFactory(school=school)
    theirs = admitted_with_documents(school, someone_else).documents.get()
    client = verified_client(registrar)
    assert client.get(url(student, f"{theirs.pk}/")).status_code == 404
    foreign = other_school.students.get()
    assert client.get(url(foreign)).status_code == 404
    assert not AuditLog.objects.filter(action="student.document_viewed").exists()


def test_a_teacher_neither_sees_nor_opens_the_documents(school, teacher, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    document = admitted_with_documents(school, student).documents.get()
    client = verified_client(teacher)
    assert client.get(url(student)).status_code == 403
    assert client.get(url(student, f"{document.pk}/")).status_code == 403
    assert url(student) not in client.get(f"/s/greenfield/students/{student.pk}/").content.decode()


def test_the_documents_tab_asks_the_same_number_of_queries_however_many_papers(school, registrar, verified_client):
    student = school.students.get(admission_number="GFA/0001")
    application = admitted_with_documents(school, student)
    client = verified_client(registrar)
    client.get(url(student))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(student)).status_code == 200
        return len(queries)

    few = count()
    for kind in ("last_report", "other", "birth_certificate"):
        document_add(application=application, kind=kind, upload=rf.upload(), via="staff", actor=registrar)
    # and one carried over from an earlier application that the pupil keeps
    earlier = rf.submit(school, documents=[("last_report", rf.upload())])
    ApplicationDocument.objects.filter(application=earlier).update(student=student)
    assert count() == few
