"""API for flagged payments (money taken but not credited, see payments/flagged.py), under
/api/v1/schools/<slug>/: the queue, and the two decisions a bursar's integration may take."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, paginated, scoped_get, validated
from classpoint.api.views import SchoolApiView

from . import flagged, selectors
from .models import PaymentTransaction


class FlaggedOutput(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", allow_null=True)
    student_id = serializers.IntegerField(source="invoice.student_id")
    flag_reason = serializers.CharField(source="note", help_text="Why the payment was held back.")
    expected_minor = serializers.SerializerMethodField(help_text="The pay link's amount, if it came from one.")
    expected_currency = serializers.SerializerMethodField()
    receipt_number = serializers.SerializerMethodField()

    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "invoice_id",
            "invoice_number",
            "student_id",
            "kind",
            "gateway",
            "provider_reference",
            "amount_minor",
            "currency",
            "expected_minor",
            "expected_currency",
            "flag_reason",
            "status",
            "created_at",
            "resolved_at",
            "resolution_note",
            "receipt_number",
        ]

    def get_expected_minor(self, tx) -> int | None:
        return tx.intent.amount_minor if tx.intent_id else None

    def get_expected_currency(self, tx) -> str | None:
        return tx.intent.currency if tx.intent_id else None

    def get_receipt_number(self, tx) -> str | None:
        receipt = getattr(tx, "receipt", None)
        return receipt.number if receipt else None


class FlaggedStateInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=list(selectors.FLAGGED_STATES), default="open")


class FlaggedListApi(SchoolApiView):
    read_perm = "payments.view"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=list(selectors.FLAGGED_STATES),
                default="open",
                description="open: waiting for a decision (oldest first); accepted or closed: decided "
                "(newest decision first).",
            )
        ],
        responses={200: FlaggedOutput(many=True), 400: ERRORS[400], **READ_ERRORS},
        tags=["payments"],
    )
    def get(self, request, school_slug):
        state = validated(FlaggedStateInput, request.query_params)["state"]
        queue = selectors.flagged_queue(school=self.school, state=state)
        return paginated(self, queue, FlaggedOutput)


_DECIDED = f"`already_resolved`: someone decided it first (the message says who and how); or {ERRORS[409].description}"
DECISION_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(
        ErrorSerializer,
        description="`not_payable` (the invoice is draft or void), `currency_mismatch`, `already_credited` "
        "(its pay link was credited by another charge), `not_flagged`, or invalid input: close it instead.",
    ),
    409: OpenApiResponse(ErrorSerializer, description=_DECIDED),
}


class AcceptInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FlaggedAcceptApi(SchoolApiView):
    write_perm = "payments.review_proofs"

    @extend_schema(
        request=AcceptInput,
        responses={200: FlaggedOutput, **DECISION_ERRORS},
        tags=["payments"],
        description="Credit the payment as received: its invoice is credited through `payment.confirmed` "
        "(money beyond the balance becomes the family's credit) and a receipt is issued.",
    )
    def post(self, request, school_slug, pk):
        tx = scoped_get(PaymentTransaction.objects.for_school(self.school), pk)
        note = validated(AcceptInput, request.data)["note"]
        flagged.transaction_flagged_accept(school=self.school, transaction_id=tx.pk, actor=request.user, note=note)
        return Response(FlaggedOutput(selectors.flagged_of_school(school=self.school, transaction_id=tx.pk)).data)


class CloseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why nothing is credited (e.g. refunded to the payer).")


class FlaggedCloseApi(SchoolApiView):
    write_perm = "payments.review_proofs"

    @extend_schema(
        request=CloseInput,
        responses={200: FlaggedOutput, **DECISION_ERRORS},
        tags=["payments"],
        description="Close the payment without crediting it; the reason is kept on it and in the audit log.",
    )
    def post(self, request, school_slug, pk):
        tx = scoped_get(PaymentTransaction.objects.for_school(self.school), pk)
        reason = validated(CloseInput, request.data)["reason"]
        flagged.transaction_flagged_close(school=self.school, transaction_id=tx.pk, actor=request.user, reason=reason)
        return Response(FlaggedOutput(selectors.flagged_of_school(school=self.school, transaction_id=tx.pk)).data)
