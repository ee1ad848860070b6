"""API for bank-transfer proofs: upload URL -> submit -> review, under /api/v1/schools/<slug>/."""

import django_filters
from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import (
    ERRORS,
    READ_ERRORS,
    FileLinkOutput,
    UploadTargetOutput,
    found_or_404,
    paginated,
    scoped_get,
    validated,
)
from classpoint.api.fields import AmountMinorField, DateField, IdField, IdFilter
from classpoint.api.views import SchoolApiView
from classpoint.files import download_url, new_key, upload_target
from fees import selectors as fees_selectors
from schools import selectors as schools_selectors

from . import proofs
from .models import PaymentProof


class ProofOutput(serializers.ModelSerializer):
    class Meta:
        model = PaymentProof
        fields = [
            "id",
            "invoice_id",
            "transaction_id",
            "status",
            "amount_minor",
            "currency",
            "paid_on",
            "bank_reference",
            "payer_name",
            "file_name",
            "content_type",
            "size_bytes",
            "source",
            "guardian_id",
            "reject_reason",
            "created_at",
            "reviewed_at",
        ]


class ProofUploadUrlInput(serializers.Serializer):
    file_name = serializers.CharField(max_length=255, help_text="The slip's file name (PDF, JPEG or PNG).")


class ProofUploadUrlApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(
        request=ProofUploadUrlInput,
        responses={201: UploadTargetOutput, **ERRORS},
        tags=["payments"],
        description="Where to POST the slip (multipart, field `file`; on S3 include the returned `fields`). "
        "Then submit it with `POST invoices/{id}/proofs/` and the `file_key`.",
    )
    def post(self, request, school_slug):
        file_name = validated(ProofUploadUrlInput, request.data)["file_name"]
        key = new_key(proofs.upload_prefix(self.school), file_name)
        target = upload_target(key, max_bytes=settings.PROOF_MAX_BYTES)
        return Response({**target, "max_bytes": settings.PROOF_MAX_BYTES}, status=status.HTTP_201_CREATED)


class ProofSubmitInput(serializers.Serializer):
    file_key = serializers.CharField(max_length=500)
    amount_minor = AmountMinorField(min_value=1)
    paid_on = DateField()
    bank_reference = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    payer_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    guardian_id = IdField(required=False, help_text="The guardian who sent it, if known.")


class InvoiceProofsApi(SchoolApiView):
    read_perm = "payments.view"
    write_perm = "fees.manage"

    @extend_schema(responses={200: ProofOutput(many=True), **READ_ERRORS}, tags=["payments"])
    def get(self, request, school_slug, pk):
        invoice = found_or_404(fees_selectors.invoice_of_school(school=self.school, invoice_id=pk))
        queryset = PaymentProof.objects.for_school(self.school).filter(invoice=invoice).order_by("-created_at", "-id")
        return paginated(self, queryset, ProofOutput)

    @extend_schema(request=ProofSubmitInput, responses={201: ProofOutput, **ERRORS}, tags=["payments"])
    def post(self, request, school_slug, pk):
        invoice = found_or_404(fees_selectors.invoice_of_school(school=self.school, invoice_id=pk))
        v = dict(validated(ProofSubmitInput, request.data))
        guardian = None
        if "guardian_id" in v:
            guardian = schools_selectors.guardian_of_student(
                school=self.school, guardian_id=v.pop("guardian_id"), student_id=invoice.student_id
            )
            if guardian is None:
                raise serializers.ValidationError({"guardian_id": ["Not a guardian of this student."]})
        proof = proofs.proof_submit(
            invoice=invoice, actor=request.user, source=PaymentProof.Source.API, guardian=guardian, **v
        )
        return Response(ProofOutput(proof).data, status=status.HTTP_201_CREATED)


class ProofFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PaymentProof.Status.choices)
    invoice = IdFilter(field_name="invoice_id")

    class Meta:
        model = PaymentProof
        fields = ["status"]


class ProofListApi(SchoolApiView):
    read_perm = "payments.view"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = ProofFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProofFilter

    @extend_schema(responses={200: ProofOutput(many=True), **READ_ERRORS}, filters=True, tags=["payments"])
    def get(self, request, school_slug):
        queryset = PaymentProof.objects.for_school(self.school).order_by("created_at", "id")
        return paginated(self, queryset, ProofOutput, ProofFilter)


class ProofDetailApi(SchoolApiView):
    read_perm = "payments.view"

    @extend_schema(responses={200: ProofOutput, **READ_ERRORS}, tags=["payments"])
    def get(self, request, school_slug, pk):
        return Response(ProofOutput(scoped_get(PaymentProof.objects.for_school(self.school), pk)).data)


class ReviewInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to reject: the guardian is told.",
    )


class ProofReviewApi(SchoolApiView):
    write_perm = "payments.review_proofs"

    @extend_schema(request=ReviewInput, responses={200: ProofOutput, **ERRORS}, tags=["payments"])
    def post(self, request, school_slug, pk):
        proof = scoped_get(PaymentProof.objects.for_school(self.school), pk)
        v = validated(ReviewInput, request.data)
        proof = proofs.proof_review(
            proof_id=proof.pk,
            school=self.school,
            actor=request.user,
            approve=v["decision"] == "approve",
            reason=v["reason"],
        )
        return Response(ProofOutput(proof).data)


class ProofFileUrlApi(SchoolApiView):
    read_perm = "payments.review_proofs"

    @extend_schema(responses={200: FileLinkOutput, **READ_ERRORS}, tags=["payments"])
    def get(self, request, school_slug, pk):
        proof = scoped_get(PaymentProof.objects.for_school(self.school), pk)
        url, expires_at = download_url(proof.file_key, filename=proof.file_name)
        return Response({"url": url, "expires_at": expires_at})
