"""API: applications/<id>/documents/ (list, upload) and documents/<doc_id>/review/."""

from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import ApplicationDocument, DocumentKind
from .common import PERM, school_applications, valid
from .outputs import ApplicationDocumentOutput


class DocumentUploadInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text="PDF, JPEG or PNG (a photo: JPEG or PNG), judged by its first bytes.")


class ApplicationDocumentsApi(SchoolApiView):
    read_perm = PERM
    write_perm = PERM
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ApplicationDocumentOutput(many=True), **READ_ERRORS}, tags=["applications"])
    def get(self, request, school_slug, pk):
        application = scoped_get(school_applications(self.school), pk)
        queryset = ApplicationDocument.objects.for_school(self.school).filter(application=application)
        return paginated(self, queryset.order_by("kind", "-uploaded_at", "-id"), ApplicationDocumentOutput)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadInput},
        responses={201: ApplicationDocumentOutput, **ERRORS},
        tags=["applications"],
    )
    def post(self, request, school_slug, pk):
        application = scoped_get(school_applications(self.school), pk)
        v = valid(DocumentUploadInput, request.data)
        document = services.document_add(
            application=application,
            kind=v["kind"],
            upload=v["file"],
            via=ApplicationDocument.Via.API,
            actor=request.user,
        )
        return Response(ApplicationDocumentOutput(document).data, status=status.HTTP_201_CREATED)


class ReviewVerdict(models.TextChoices):
    VERIFIED = ApplicationDocument.Status.VERIFIED.value, "Verified"
    REJECTED = ApplicationDocument.Status.REJECTED.value, "Rejected"


class DocumentReviewInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReviewVerdict.choices)
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Required to reject."
    )


class DocumentReviewApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(
        request=DocumentReviewInput, responses={200: ApplicationDocumentOutput, **ERRORS}, tags=["applications"]
    )
    def post(self, request, school_slug, pk, doc_id):
        application = scoped_get(school_applications(self.school), pk)
        document = scoped_get(
            ApplicationDocument.objects.for_school(self.school).filter(application=application), doc_id
        )
        v = valid(DocumentReviewInput, request.data)
        document = services.document_review(document=document, actor=request.user, status=v["status"], note=v["note"])
        return Response(ApplicationDocumentOutput(document).data)
