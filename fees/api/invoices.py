"""API: /api/v1/schools/<slug>/invoices/ (create, read, issue, void, PDF, instalment plan)."""

import django_filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get, validated
from classpoint.api.fields import AmountMinorField, DateField, IdField, IdFilter
from classpoint.api.views import SchoolApiView

from .. import services
from ..document_views import invoice_for_document, pdf_response
from ..instalments import instalment_plan_set
from ..models import Invoice, InvoiceDiscount, InvoiceInstalment
from .common import in_school


class InstalmentOutput(serializers.ModelSerializer):
    balance_minor = serializers.IntegerField(read_only=True)

    class Meta:
        model = InvoiceInstalment
        fields = ["sequence", "due_date", "amount_minor", "paid_minor", "balance_minor"]


class InvoiceDiscountOutput(serializers.ModelSerializer):
    class Meta:
        model = InvoiceDiscount
        fields = ["kind", "description", "amount_minor", "award_id"]


class InvoiceOutput(serializers.ModelSerializer):
    balance_minor = serializers.IntegerField(read_only=True)
    lines = serializers.SerializerMethodField()
    discounts = InvoiceDiscountOutput(many=True, read_only=True)
    instalments = InstalmentOutput(many=True, read_only=True, help_text="The instalment plan, oldest first.")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "student_id",
            "term_id",
            "class_group_id",
            "currency",
            "status",
            "subtotal_minor",
            "discount_minor",
            "total_minor",
            "paid_minor",
            "balance_minor",
            "issue_date",
            "due_date",
            "is_overdue",
            "void_reason",
            "lines",
            "discounts",
            "instalments",
            "created_at",
        ]

    def get_lines(self, invoice) -> list[dict]:
        return [
            {"description": line.description, "amount_minor": line.amount_minor, "fee_item_id": line.fee_item_id}
            for line in invoice.lines.all()
        ]


class InvoiceFilter(django_filters.FilterSet):
    term = IdFilter(field_name="term_id")
    class_group = IdFilter(field_name="class_group_id")
    student = IdFilter(field_name="student_id")
    status = django_filters.ChoiceFilter(choices=Invoice.Status.choices)
    overdue = django_filters.BooleanFilter(field_name="is_overdue")
    q = django_filters.CharFilter(method="search", label="Invoice number or student contains")

    class Meta:
        model = Invoice
        fields = ["status"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(student__search_text__contains=value.lower()))


class InvoiceCreateInput(serializers.Serializer):
    student_id = IdField()
    term_id = IdField()
    class_group_id = IdField(required=False, allow_null=True, help_text="Default: the student's class")
    include_optional = serializers.BooleanField(default=False)
    due_date = DateField(required=False, allow_null=True)
    issue = serializers.BooleanField(default=False, help_text="Issue at once (numbered, guardians told).")


def _invoices(school):
    return Invoice.objects.for_school(school).prefetch_related("lines", "discounts", "instalments")


class InvoiceListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = InvoiceFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = InvoiceFilter

    @extend_schema(responses={200: InvoiceOutput(many=True), **READ_ERRORS}, filters=True, tags=["invoices"])
    def get(self, request, school_slug):
        return paginated(self, _invoices(self.school).order_by("-created_at", "-id"), InvoiceOutput, InvoiceFilter)

    @extend_schema(request=InvoiceCreateInput, responses={201: InvoiceOutput, **ERRORS}, tags=["invoices"])
    def post(self, request, school_slug):
        v = validated(InvoiceCreateInput, request.data)
        invoice = services.invoice_create(
            school=self.school,
            actor=request.user,
            include_optional=v["include_optional"],
            due_date=v.get("due_date"),
            student=in_school(self.school.students, v["student_id"], "student_id"),
            term=in_school(self.school.terms, v["term_id"], "term_id"),
            class_group=in_school(self.school.class_groups, v.get("class_group_id"), "class_group_id"),
        )
        if v["issue"]:
            invoice = services.invoice_issue(invoice=invoice, actor=request.user)
        return Response(InvoiceOutput(_invoices(self.school).get(pk=invoice.pk)).data, status=status.HTTP_201_CREATED)


class InvoiceDetailApi(SchoolApiView):
    read_perm = "fees.view"

    @extend_schema(responses={200: InvoiceOutput, **READ_ERRORS}, tags=["invoices"])
    def get(self, request, school_slug, pk):
        return Response(InvoiceOutput(scoped_get(_invoices(self.school), pk)).data)


class InvoiceIssueApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(request=None, responses={200: InvoiceOutput, **ERRORS}, tags=["invoices"])
    def post(self, request, school_slug, pk):
        invoice = services.invoice_issue(invoice=scoped_get(_invoices(self.school), pk), actor=request.user)
        return Response(InvoiceOutput(_invoices(self.school).get(pk=invoice.pk)).data)


class VoidInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class InvoiceVoidApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(request=VoidInput, responses={200: InvoiceOutput, **ERRORS}, tags=["invoices"])
    def post(self, request, school_slug, pk):
        invoice = scoped_get(_invoices(self.school), pk)
        reason = validated(VoidInput, request.data)["reason"]
        invoice = services.invoice_void(invoice=invoice, actor=request.user, reason=reason)
        return Response(InvoiceOutput(_invoices(self.school).get(pk=invoice.pk)).data)


class InvoicePdfApi(SchoolApiView):
    read_perm = "fees.view"

    def perform_content_negotiation(self, request, force=False):
        # The answer is a PDF whatever the client accepts (`application/pdf`, `*/*`): never a 406.
        # Errors still go out as JSON, the first renderer.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The invoice as it stands now, rendered on request."
            ),
            **READ_ERRORS,
        },
        tags=["invoices"],
    )
    def get(self, request, school_slug, pk):
        return pdf_response(invoice_for_document(self.school, pk))


class InstalmentInput(serializers.Serializer):
    due_date = DateField()
    amount_minor = AmountMinorField(min_value=1)


class InstalmentPlanInput(serializers.Serializer):
    instalments = InstalmentInput(many=True, help_text="Oldest first; the amounts add up to the invoice total.")


class InvoiceInstalmentsApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(
        request=InstalmentPlanInput,
        responses={200: InvoiceOutput, **ERRORS},
        tags=["invoices"],
        description="Set (or replace) the invoice's instalment plan. What is paid fills the instalments "
        "oldest first; the invoice's due date follows the earliest unpaid one.",
    )
    def put(self, request, school_slug, pk):
        invoice = scoped_get(_invoices(self.school), pk)
        instalments = validated(InstalmentPlanInput, request.data)["instalments"]
        instalment_plan_set(invoice=invoice, actor=request.user, instalments=instalments)
        return Response(InvoiceOutput(_invoices(self.school).get(pk=invoice.pk)).data)

    @extend_schema(
        request=InstalmentPlanInput,
        responses={200: InvoiceOutput, **ERRORS},
        tags=["invoices"],
        description="The same as PUT, for clients that only POST.",
    )
    def post(self, request, school_slug, pk):
        return self.put(request, school_slug, pk)
