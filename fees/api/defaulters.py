"""API: /api/v1/schools/<slug>/defaulters/ and their reminders."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS
from classpoint.api.fields import AmountMinorField, DaysField, IdField
from classpoint.api.pagination import Pagination, with_known_count
from classpoint.api.views import SchoolApiView

from ..collections import defaulter_totals, defaulters, hydrate, page_ids, reminders_request
from ..models import Invoice


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
