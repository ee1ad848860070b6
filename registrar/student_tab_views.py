"""The Documents tab of a pupil's record: the papers sent with the pupil's application (kind, when,
how, whether verified), each opened through a link signed for a few minutes, minted on the click.
Listing them and opening one are both kept: the list in the pupil's access log, the opening as its
own audit entry naming the document."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from classpoint.audit import audit
from classpoint.files import download_url
from classpoint.tenancy import school_view
from schools.record_pages import open_student

from .panel_views import DOCUMENT_LINK_SECONDS
from .selectors import student as selectors

PERM = "students.manage"


@require_GET
@school_view(perm=PERM)
def student_documents(request, student_id):
    student = open_student(request, student_id)
    documents = selectors.student_documents(school=request.school, student=student)
    context = {
        "student": student,
        "tab": "documents",
        "documents": documents,
        "applications": sorted({d.application for d in documents}, key=lambda a: a.pk),
        "can_review": request.membership.has_perm("registrar.manage_applications"),
    }
    return render(request, "registrar/student_documents.html", context)


@require_GET
@school_view(perm=PERM)
def student_document_file(request, student_id, document_id):
    student = open_student(request, student_id, record=False)
    document = selectors.student_document(school=request.school, student=student, document_id=document_id)
    if document is None:
        raise Http404("No such document")
    audit(
        school=request.school,
        actor=request.user,
        action="student.document_viewed",
        target=student,
        changes={"document_id": document.pk, "kind": document.kind, "via": "workspace"},
    )
    url, _ = download_url(
        document.file.name, expires_seconds=DOCUMENT_LINK_SECONDS, filename=document.original_name or None
    )
    return redirect(url)
