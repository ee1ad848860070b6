"""API: /api/v1/schools/<slug>/fee-items/, fee-schedules/, invoices/."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.views import SchoolApiView

from . import services
from .models import FeeItem, FeeSchedule, Invoice


def _in_school(queryset, pk, field):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise serializers.ValidationError({field: ["Not found in this school."]})
    return obj


class FeeItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeItem
        fields = ["id", "code", "name", "category", "default_amount_minor", "is_active"]
        read_only_fields = ["id", "is_active"]


class FeeItemListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    @extend_schema(responses={200: FeeItemSerializer(many=True), **READ_ERRORS}, tags=["fees"])
    def get(self, request, school_slug):
        return paginated(
            self, FeeItem.objects.for_school(self.school).order_by("category", "name", "id"), FeeItemSerializer
        )

    @extend_schema(request=FeeItemSerializer, responses={201: FeeItemSerializer, **ERRORS}, tags=["fees"])
    def post(self, request, school_slug):
        data = FeeItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.fee_item_create(school=self.school, actor=request.user, **data.validated_data)
        return Response(FeeItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ScheduleLineSerializer(serializers.Serializer):
    fee_item_id = serializers.IntegerField()
    amount_minor = serializers.IntegerField(min_value=0)
    optional = serializers.BooleanField(default=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class FeeScheduleOutput(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()

    class Meta:
        model = FeeSchedule
        fields = ["id", "name", "term_id", "class_group_id", "level", "lines"]

    def get_lines(self, schedule) -> list[dict]:
        return [
            {"fee_item_id": line.fee_item_id, "amount_minor": line.amount_minor, "optional": line.optional,
             "due_date": line.due_date}
            for line in schedule.lines.all()
        ]  # fmt: skip


class FeeScheduleInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    term_id = serializers.IntegerField()
    class_group_id = serializers.IntegerField(required=False, allow_null=True)
    level = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    lines = ScheduleLineSerializer(many=True)


class FeeScheduleListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    @extend_schema(responses={200: FeeScheduleOutput(many=True), **READ_ERRORS}, tags=["fees"])
    def get(self, request, school_slug):
        queryset = (
            FeeSchedule.objects.for_school(self.school).prefetch_related("lines").order_by("-term_id", "name", "id")
        )
        return paginated(self, queryset, FeeScheduleOutput)

    @extend_schema(request=FeeScheduleInput, responses={201: FeeScheduleOutput, **ERRORS}, tags=["fees"])
    def post(self, request, school_slug):
        data = FeeScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        items = FeeItem.objects.for_school(self.school)
        lines = [
            {**{k: line[k] for k in ("amount_minor", "optional") if k in line}, "due_date": line.get("due_date"),
             "fee_item": _in_school(items, line["fee_item_id"], f"lines.{i}.fee_item_id")}
            for i, line in enumerate(v["lines"])
        ]  # fmt: skip
        schedule = services.fee_schedule_create(
            school=self.school, actor=request.user, name=v["name"], lines=lines, level=v.get("level", ""),
            term=_in_school(self.school.terms, v["term_id"], "term_id"),
            class_group=_in_school(self.school.class_groups, v.get("class_group_id"), "class_group_id"),
        )  # fmt: skip
        return Response(FeeScheduleOutput(schedule).data, status=status.HTTP_201_CREATED)


class InvoiceOutput(serializers.ModelSerializer):
    balance_minor = serializers.IntegerField(read_only=True)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "student_id", "term_id", "class_group_id", "currency", "status", "subtotal_minor",
            "discount_minor", "total_minor", "paid_minor", "balance_minor", "issue_date", "due_date", "is_overdue",
            "void_reason", "lines", "created_at",
        ]  # fmt: skip

    def get_lines(self, invoice) -> list[dict]:
        return [{"description": line.description, "amount_minor": line.amount_minor, "fee_item_id": line.fee_item_id}
                for line in invoice.lines.all()]  # fmt: skip


class InvoiceFilter(django_filters.FilterSet):
    term = django_filters.NumberFilter(field_name="term_id")
    class_group = django_filters.NumberFilter(field_name="class_group_id")
    student = django_filters.NumberFilter(field_name="student_id")
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
    student_id = serializers.IntegerField()
    term_id = serializers.IntegerField()
    class_group_id = serializers.IntegerField(required=False, allow_null=True, help_text="Default: the student's class")
    include_optional = serializers.BooleanField(default=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    issue = serializers.BooleanField(default=False, help_text="Issue at once (numbered, guardians told).")


def _invoices(school):
    return Invoice.objects.for_school(school).prefetch_related("lines")


class InvoiceListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    @extend_schema(responses={200: InvoiceOutput(many=True), **READ_ERRORS}, filters=True, tags=["invoices"])
    def get(self, request, school_slug):
        return paginated(self, _invoices(self.school).order_by("-created_at", "-id"), InvoiceOutput, InvoiceFilter)

    @extend_schema(request=InvoiceCreateInput, responses={201: InvoiceOutput, **ERRORS}, tags=["invoices"])
    def post(self, request, school_slug):
        data = InvoiceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        invoice = services.invoice_create(
            school=self.school, actor=request.user, include_optional=v["include_optional"], due_date=v.get("due_date"),
            student=_in_school(self.school.students, v["student_id"], "student_id"),
            term=_in_school(self.school.terms, v["term_id"], "term_id"),
            class_group=_in_school(self.school.class_groups, v.get("class_group_id"), "class_group_id"),
        )  # fmt: skip
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
        data = VoidInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_void(invoice=invoice, actor=request.user, reason=data.validated_data["reason"])
        return Response(InvoiceOutput(_invoices(self.school).get(pk=invoice.pk)).data)


class DefaulterOutput(serializers.ModelSerializer):
    student = serializers.SerializerMethodField()
    class_group = serializers.CharField(source="class_group.name", default="")
    balance_minor = serializers.IntegerField(source="balance")
    days_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = ["id", "number", "student_id", "student", "class_group", "term_id", "total_minor", "paid_minor",
                  "balance_minor", "due_date", "days_overdue"]  # fmt: skip

    def get_student(self, invoice) -> str:
        return f"{invoice.student.last_name}, {invoice.student.first_name} ({invoice.student.admission_number})"

    def get_days_overdue(self, invoice) -> int:
        return (self.context["today"] - invoice.due_date).days


class DefaultersInput(serializers.Serializer):
    term = serializers.IntegerField(required=False)
    class_group = serializers.IntegerField(required=False)
    min_days_overdue = serializers.IntegerField(required=False, min_value=0, default=0)
    min_amount_due = serializers.IntegerField(required=False, min_value=0, default=0)


class DefaultersApi(SchoolApiView):
    read_perm = "fees.view"

    @extend_schema(parameters=[DefaultersInput], responses={200: DefaulterOutput(many=True), **READ_ERRORS},
                   tags=["collections"])  # fmt: skip
    def get(self, request, school_slug):
        from classpoint.api.pagination import Pagination

        from .collections import defaulters, totals_by_class

        params = DefaultersInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        today = self.school.local_today()
        rows = defaulters(
            school=self.school,
            term_id=p.get("term"),
            class_group_id=p.get("class_group"),
            today=today,
            min_days_overdue=p["min_days_overdue"],
            min_amount_due=p["min_amount_due"],
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(DefaulterOutput(page, many=True, context={"today": today}).data)
        response.data["totals_by_class"] = totals_by_class(rows)
        return response
