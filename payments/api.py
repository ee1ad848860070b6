"""API: pay links, counter payments, transactions and receipts under /api/v1/schools/<slug>/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import (
    ERRORS,
    READ_ERRORS,
    ErrorSerializer,
    FileLinkOutput,
    found_or_404,
    paginated,
    scoped_get,
    validated,
)
from classpoint.api.fields import AmountMinorField, IdFilter
from classpoint.api.views import SchoolApiView
from fees import selectors as fees_selectors

from . import selectors, services
from .documents import pdf_is_current
from .models import PaymentIntent, PaymentTransaction, Receipt


class IntentOutput(serializers.ModelSerializer):
    class Meta:
        model = PaymentIntent
        fields = [
            "id",
            "invoice_id",
            "gateway",
            "reference",
            "amount_minor",
            "currency",
            "status",
            "checkout_url",
            "created_at",
        ]


class PayLinkInput(serializers.Serializer):
    gateway = serializers.ChoiceField(choices=["paystack", "demo"], required=False)
    email = serializers.EmailField(help_text="The payer's email (Paystack requires one).")
    callback_url = serializers.URLField(required=False, allow_blank=True, default="")


class PayLinkApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(request=PayLinkInput, responses={201: IntentOutput, **ERRORS}, tags=["payments"])
    def post(self, request, school_slug, pk):
        invoice = found_or_404(fees_selectors.invoice_of_school(school=self.school, invoice_id=pk))
        v = validated(PayLinkInput, request.data)
        intent = services.intent_create(
            invoice=invoice,
            actor=request.user,
            gateway_name=v.get("gateway"),
            email=v["email"],
            callback_url=v["callback_url"],
        )
        return Response(IntentOutput(intent).data, status=status.HTTP_201_CREATED)


class IntentFilter(django_filters.FilterSet):
    invoice = IdFilter(field_name="invoice_id")
    status = django_filters.ChoiceFilter(choices=PaymentIntent.Status.choices)
    gateway = django_filters.CharFilter()

    class Meta:
        model = PaymentIntent
        fields = ["status", "gateway"]


class IntentListApi(SchoolApiView):
    read_perm = "payments.view"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = IntentFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = IntentFilter

    @extend_schema(responses={200: IntentOutput(many=True), **READ_ERRORS}, filters=True, tags=["payments"])
    def get(self, request, school_slug):
        return paginated(self, selectors.intents_list(school=self.school), IntentOutput, IntentFilter)


class TransactionOutput(serializers.ModelSerializer):
    receipt_number = serializers.SerializerMethodField()

    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "invoice_id",
            "kind",
            "gateway",
            "provider_reference",
            "amount_minor",
            "currency",
            "status",
            "note",
            "receipt_number",
            "created_at",
            "confirmed_at",
        ]

    def get_receipt_number(self, tx) -> str | None:
        receipt = getattr(tx, "receipt", None)
        return receipt.number if receipt else None


class CounterPaymentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("cash", "Cash"), ("pos", "POS")])
    amount_minor = AmountMinorField(min_value=1)
    reference = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        help_text="POS slip or terminal reference: unique in the school when given; "
        "a reused one is a 409 `duplicate_reference`.",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


_REUSED_SLIP = "`duplicate_reference`: the slip is already recorded (the message names its receipt)"
COUNTER_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(ErrorSerializer, description=f"{_REUSED_SLIP}; or {ERRORS[409].description}"),
}


class CounterPaymentApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(request=CounterPaymentInput, responses={201: TransactionOutput, **COUNTER_ERRORS}, tags=["payments"])
    def post(self, request, school_slug, pk):
        invoice = found_or_404(fees_selectors.invoice_of_school(school=self.school, invoice_id=pk))
        v = validated(CounterPaymentInput, request.data)
        tx = services.transaction_record(
            invoice=invoice,
            kind=v["kind"],
            amount_minor=v["amount_minor"],
            currency=invoice.currency,
            actor=request.user,
            gateway=f"counter-{v['kind']}" if v.get("reference") else "",
            provider_reference=v.get("reference") or None,
            note=v["note"],
        )
        return Response(TransactionOutput(tx).data, status=status.HTTP_201_CREATED)


class TransactionFilter(django_filters.FilterSet):
    invoice = IdFilter(field_name="invoice_id")
    status = django_filters.ChoiceFilter(choices=PaymentTransaction.Status.choices)
    kind = django_filters.ChoiceFilter(choices=PaymentTransaction.Kind.choices)

    class Meta:
        model = PaymentTransaction
        fields = ["status", "kind"]


class TransactionListApi(SchoolApiView):
    read_perm = "payments.view"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = TransactionFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = TransactionFilter

    @extend_schema(responses={200: TransactionOutput(many=True), **READ_ERRORS}, filters=True, tags=["payments"])
    def get(self, request, school_slug):
        return paginated(self, selectors.transactions_list(school=self.school), TransactionOutput, TransactionFilter)


class ReceiptOutput(serializers.ModelSerializer):
    pdf_ready = serializers.SerializerMethodField(
        help_text="A current PDF is stored (`download-url/` renders one when it is not)."
    )

    class Meta:
        model = Receipt
        fields = ["id", "number", "transaction_id", "amount_minor", "currency", "issued_at", "is_void", "pdf_ready"]

    def get_pdf_ready(self, receipt) -> bool:
        return pdf_is_current(receipt)


class ReceiptListApi(SchoolApiView):
    read_perm = "payments.view"

    @extend_schema(responses={200: ReceiptOutput(many=True), **READ_ERRORS}, tags=["payments"])
    def get(self, request, school_slug):
        return paginated(self, selectors.receipts_list(school=self.school), ReceiptOutput)


class ReceiptDownloadUrlApi(SchoolApiView):
    read_perm = "payments.view"

    @extend_schema(
        responses={200: FileLinkOutput, **READ_ERRORS},
        tags=["payments"],
        description="An expiring link to the receipt's PDF (rendered first if it is missing, or "
        "stale after a reversal).",
    )
    def get(self, request, school_slug, pk):
        receipt = scoped_get(Receipt.objects.for_school(self.school), pk)
        url, expires_at = services.receipt_pdf_link(receipt=receipt)
        return Response({"url": url, "expires_at": expires_at})


class ReverseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TransactionReverseApi(SchoolApiView):
    write_perm = "payments.refund"

    @extend_schema(request=ReverseInput, responses={200: TransactionOutput, **ERRORS}, tags=["payments"])
    def post(self, request, school_slug, pk):
        tx = scoped_get(PaymentTransaction.objects.for_school(self.school), pk)
        reason = validated(ReverseInput, request.data)["reason"]
        tx = services.transaction_reverse(transaction_id=tx.pk, school=self.school, actor=request.user, reason=reason)
        return Response(TransactionOutput(tx).data)
