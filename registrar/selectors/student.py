"""Reads for the Documents tab of a pupil's record (registrar/student_tab_views.py): the documents of
the application the pupil was admitted from, which stay with the pupil once converted."""

from django.db.models import Q

from ..models import ApplicationDocument


def student_documents(*, school, student):
    """The pupil's documents, by kind then newest first, each with its application and reviewer: those
    carried over to the pupil, and those of any application that became this pupil."""
    return list(
        ApplicationDocument.objects.for_school(school)
        .filter(Q(student=student) | Q(application__student=student))
        .select_related("application", "reviewed_by")
        .order_by("kind", "-uploaded_at", "-id")
    )


def student_document(*, school, student, document_id):
    """One of the pupil's documents, or None (another pupil's or another school's finds nothing)."""
    documents = ApplicationDocument.objects.for_school(school).filter(
        Q(student=student) | Q(application__student=student), pk=document_id
    )
    return documents.first()
