"""API: /api/v1/schools/<slug>/fee-items/, fee-schedules/, invoices/."""

import django_filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import AmountMinorField, DateField, DaysField, IdField, IdFilter
from classpoint.api.views import SchoolApiView

from . import services
from .models import CreditEntry, FeeItem, FeeSchedule, Invoice, InvoiceDiscount, InvoiceInstalment, StudentAward


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
    fee_item_id = IdField()
    amount_minor = AmountMinorField()
    optional = serializers.BooleanField(default=False)
    due_date = DateField(required=False, allow_null=True)


class FeeScheduleOutput(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()

    class Meta:
        model = FeeSchedule
        fields = ["id", "name", "term_id", "class_group_id", "level", "lines"]

    def get_lines(self, schedule) -> list[dict]:
        return [
            {
                "fee_item_id": line.fee_item_id,
                "amount_minor": line.amount_minor,
                "optional": line.optional,
                "due_date": line.due_date,
            }
            for line in schedule.lines.all()
        ]


class FeeScheduleInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    term_id = IdField()
    class_group_id = IdField(required=False, allow_null=True)
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
            {
                **{k: line[k] for k in ("amount_minor", "optional") if k in line},
                "due_date": line.get("due_date"),
                "fee_item": _in_school(items, line["fee_item_id"], f"lines.{i}.fee_item_id"),
            }
            for i, line in enumerate(v["lines"])
        ]
        schedule = services.fee_schedule_create(
            school=self.school,
            actor=request.user,
            name=v["name"],
            lines=lines,
            level=v.get("level", ""),
            term=_in_school(self.school.terms, v["term_id"], "term_id"),
            class_group=_in_school(self.school.class_groups, v.get("class_group_id"), "class_group_id"),
        )
        return Response(FeeScheduleOutput(schedule).data, status=status.HTTP_201_CREATED)


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
        data = InvoiceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        invoice = services.invoice_create(
            school=self.school,
            actor=request.user,
            include_optional=v["include_optional"],
            due_date=v.get("due_date"),
            student=_in_school(self.school.students, v["student_id"], "student_id"),
            term=_in_school(self.school.terms, v["term_id"], "term_id"),
            class_group=_in_school(self.school.class_groups, v.get("class_group_id"), "class_group_id"),
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
        data = VoidInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_void(invoice=invoice, actor=request.user, reason=data.validated_data["reason"])
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
        from .document_views import invoice_for_document, pdf_response

        return pdf_response(invoice_for_document(self.school, pk))


class DefaulterOutput(serializers.ModelSerializer):
    student = serializers.SerializerMethodField()
    class_group = serializers.CharField(source="class_group.name", default="")
    balance_minor = serializers.IntegerField(source="balance")
    days_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "student_id",
            "student",
            "class_group",
            "term_id",
            "total_minor",
            "paid_minor",
            "balance_minor",
            "due_date",
            "days_overdue",
        ]

    def get_student(self, invoice) -> str:
        return f"{invoice.student.last_name}, {invoice.student.first_name} ({invoice.student.admission_number})"

    def get_days_overdue(self, invoice) -> int:
        return (self.context["today"] - invoice.due_date).days


class DefaultersInput(serializers.Serializer):
    term = IdField(required=False)
    class_group = IdField(required=False)
    min_days_overdue = DaysField(required=False, default=0)
    min_amount_due = AmountMinorField(required=False, default=0)


class DefaultersApi(SchoolApiView):
    read_perm = "fees.view"

    @extend_schema(
        parameters=[DefaultersInput], responses={200: DefaulterOutput(many=True), **READ_ERRORS}, tags=["collections"]
    )
    def get(self, request, school_slug):
        from classpoint.api.pagination import Pagination, with_known_count

        from .collections import defaulter_totals, defaulters, hydrate, page_ids

        params = DefaultersInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        today = self.school.local_today()
        filters = {
            "term_id": p.get("term"),
            "class_group_id": p.get("class_group"),
            "min_days_overdue": p["min_days_overdue"],
            "min_amount_due": p["min_amount_due"],
        }
        rows = defaulters(school=self.school, today=today, **filters)
        totals = defaulter_totals(school=self.school, rows=rows, today=today, **filters)
        paginator = Pagination()
        paginator.django_paginator_class = with_known_count(sum(t["invoices"] for t in totals))
        page = hydrate(rows, paginator.paginate_queryset(page_ids(rows), request, view=self))
        response = paginator.get_paginated_response(DefaulterOutput(page, many=True, context={"today": today}).data)
        response.data["totals_by_class"] = totals
        return response


class RemindersOutput(serializers.Serializer):
    families = serializers.IntegerField(help_text="Families (primary guardians) among the defaulters selected.")
    requested = serializers.IntegerField(help_text="Overdue notices requested now, one per family.")
    already_reminded = serializers.IntegerField(help_text="Families already reminded today (school time).")
    without_guardian = serializers.IntegerField(help_text="Defaulting students with no primary guardian.")


class DefaultersRemindApi(SchoolApiView):
    write_perm = "fees.manage"

    @extend_schema(
        request=DefaultersInput,
        responses={200: RemindersOutput, **ERRORS},
        tags=["collections"],
        description="Request one OVERDUE_NOTICE per family among the defaulters the filters select "
        "(`min_amount_due` in minor units), at most once per family per school day.",
    )
    def post(self, request, school_slug):
        from .collections import reminders_request

        params = DefaultersInput(data=request.data)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        result = reminders_request(
            school=self.school,
            actor=request.user,
            term_id=p.get("term"),
            class_group_id=p.get("class_group"),
            min_days_overdue=p["min_days_overdue"],
            min_amount_due=p["min_amount_due"],
        )
        return Response(RemindersOutput(result).data)


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
        from .instalments import instalment_plan_set

        invoice = scoped_get(_invoices(self.school), pk)
        data = InstalmentPlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        instalment_plan_set(invoice=invoice, actor=request.user, instalments=data.validated_data["instalments"])
        return Response(InvoiceOutput(_invoices(self.school).get(pk=invoice.pk)).data)

    @extend_schema(
        request=InstalmentPlanInput,
        responses={200: InvoiceOutput, **ERRORS},
        tags=["invoices"],
        description="The same as PUT, for clients that only POST.",
    )
    def post(self, request, school_slug, pk):
        return self.put(request, school_slug, pk)


class AwardOutput(serializers.ModelSerializer):
    describe = serializers.CharField(read_only=True, help_text="What it is worth, in words.")
    requested_by = serializers.CharField(source="requested_by.get_username", default=None, read_only=True)
    approved_by = serializers.CharField(
        source="approved_by.get_username", default=None, read_only=True, help_text="Who decided (approved or rejected)."
    )

    class Meta:
        model = StudentAward
        fields = [
            "id",
            "student_id",
            "term_id",
            "kind",
            "mode",
            "percent",
            "amount_minor",
            "fee_category",
            "reason",
            "describe",
            "status",
            "requested_by",
            "approved_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class AwardInput(serializers.Serializer):
    student_id = IdField()
    term_id = IdField()
    kind = serializers.ChoiceField(choices=StudentAward.Kind.choices)
    mode = serializers.ChoiceField(choices=StudentAward.Mode.choices)
    percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="For mode `percent`: above 0, at most 100.",
    )
    amount_minor = AmountMinorField(required=False, allow_null=True, help_text="For mode `fixed`.")
    fee_category = serializers.ChoiceField(
        choices=[("", "The whole invoice"), *FeeItem.Category.choices], required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(max_length=300)


class AwardFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=StudentAward.Status.choices)
    student = IdFilter(field_name="student_id")
    term = IdFilter(field_name="term_id")

    class Meta:
        model = StudentAward
        fields = ["status"]


def _awards(school):
    return StudentAward.objects.for_school(school).select_related("school", "requested_by", "approved_by")


class AwardListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = AwardFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = AwardFilter

    @extend_schema(responses={200: AwardOutput(many=True), **READ_ERRORS}, filters=True, tags=["awards"])
    def get(self, request, school_slug):
        return paginated(self, _awards(self.school).order_by("-created_at", "-id"), AwardOutput, AwardFilter)

    @extend_schema(
        request=AwardInput,
        responses={201: AwardOutput, **ERRORS},
        tags=["awards"],
        description="Request a scholarship or waiver; another person with `fees.approve_awards` decides.",
    )
    def post(self, request, school_slug):
        from .awards import award_request

        data = AwardInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        award = award_request(
            school=self.school,
            actor=request.user,
            kind=v["kind"],
            mode=v["mode"],
            percent=v.get("percent"),
            amount_minor=v.get("amount_minor"),
            fee_category=v.get("fee_category", ""),
            reason=v["reason"],
            student=_in_school(self.school.students, v["student_id"], "student_id"),
            term=_in_school(self.school.terms, v["term_id"], "term_id"),
        )
        return Response(AwardOutput(_awards(self.school).get(pk=award.pk)).data, status=status.HTTP_201_CREATED)


class AwardDecisionInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to reject or revoke; an optional note to approve.",
    )


class _AwardDecisionApi(SchoolApiView):
    write_perm = "fees.approve_awards"
    decision = None

    def post(self, request, school_slug, pk):
        from . import awards

        award = scoped_get(_awards(self.school), pk)
        data = AwardDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        if self.decision == "approve":
            awards.award_approve(award=award, actor=request.user, note=reason)
        elif self.decision == "reject":
            awards.award_reject(award=award, actor=request.user, reason=reason)
        else:
            awards.award_revoke(award=award, actor=request.user, reason=reason)
        return Response(AwardOutput(_awards(self.school).get(pk=award.pk)).data)


class AwardApproveApi(_AwardDecisionApi):
    decision = "approve"

    @extend_schema(
        request=AwardDecisionInput,
        responses={200: AwardOutput, **ERRORS},
        tags=["awards"],
        description="Approve a pending award (not by its requester). It applies at once to the "
        "student's live invoice of the term; any excess paid becomes credit.",
    )
    def post(self, request, school_slug, pk):
        return super().post(request, school_slug, pk)


class AwardRejectApi(_AwardDecisionApi):
    decision = "reject"

    @extend_schema(request=AwardDecisionInput, responses={200: AwardOutput, **ERRORS}, tags=["awards"])
    def post(self, request, school_slug, pk):
        return super().post(request, school_slug, pk)


class AwardRevokeApi(_AwardDecisionApi):
    decision = "revoke"

    @extend_schema(
        request=AwardDecisionInput,
        responses={200: AwardOutput, **ERRORS},
        tags=["awards"],
        description="Revoke an approved award while no issued invoice carries it.",
    )
    def post(self, request, school_slug, pk):
        return super().post(request, school_slug, pk)


class CreditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = CreditEntry
        fields = ["id", "kind", "amount_minor", "student_id", "invoice_id", "note", "created_at"]


class FamilyCreditOutput(serializers.Serializer):
    guardian_id = serializers.IntegerField()
    currency = serializers.CharField()
    balance_minor = serializers.IntegerField(help_text="Held for the family; used on its next invoice.")
    entries = CreditEntryOutput(many=True, help_text="The latest 100 ledger entries, newest first.")


class FamilyCreditApi(SchoolApiView):
    read_perm = "fees.view"

    @extend_schema(responses={200: FamilyCreditOutput, **READ_ERRORS}, tags=["awards"])
    def get(self, request, school_slug, guardian_id):
        from .credit import balance, entries

        guardian = scoped_get(self.school.guardians, guardian_id)
        ledger = entries(school=self.school, guardian_id=guardian.pk, student_id=None).order_by("-created_at", "-id")
        return Response(
            FamilyCreditOutput(
                {
                    "guardian_id": guardian.pk,
                    "currency": self.school.currency,
                    "entries": ledger[:100],
                    "balance_minor": balance(school=self.school, guardian_id=guardian.pk, student_id=None),
                }
            ).data
        )
