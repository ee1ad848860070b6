"""API: GET /api/v1/schools/<slug>/kpi/summary/?period=30 — the dashboard's figures (perm `dashboard.view`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS
from classpoint.api.views import SchoolApiView
from classpoint.replica import reads_may_lag

from . import kpi


@extend_schema_field({"type": "number", "nullable": True})
class NumberField(serializers.Field):
    """A count, an amount in minor units (integers) or a percentage with one decimal; null when
    there is nothing to divide by."""

    def to_representation(self, value):
        return value


class KpiTile(serializers.Serializer):
    key = serializers.CharField(
        help_text="Stable name: leads, new_this_week, in_review, needs_info, approved, conversion_rate, "
        "enrollments, revenue, outstanding, overdue, failed_messages."
    )
    label = serializers.CharField()
    value = NumberField()
    unit = serializers.ChoiceField(choices=["count", "minor", "percent"])
    display = serializers.CharField(help_text="The value as the dashboard shows it (money with its symbol).")
    period = serializers.CharField(help_text='"last 30 days", "last 7 days" or "now".')
    url = serializers.CharField(
        allow_null=True, help_text="Workspace path of the list behind the figure; null when your role cannot open it."
    )


class KpiDay(serializers.Serializer):
    day = serializers.DateField(help_text="School-local day.")
    leads = serializers.IntegerField()
    converted = serializers.IntegerField()
    collected_minor = serializers.IntegerField()
    payments = serializers.IntegerField()


class KpiRailItem(serializers.Serializer):
    key = serializers.CharField(
        help_text="stale, proofs, flagged (only for roles that may resolve flagged payments), failed_messages "
        "or dead_events."
    )
    label = serializers.CharField()
    count = serializers.IntegerField()
    url = serializers.CharField(allow_null=True)


class KpiSummary(serializers.Serializer):
    period_days = serializers.IntegerField()
    start = serializers.DateField(help_text="First school-local day of the period.")
    today = serializers.DateField(help_text="The school's today (computed live; earlier days come from the sinks).")
    currency = serializers.CharField()
    tiles = KpiTile(many=True)
    series = KpiDay(many=True, help_text="One point per day of the period, oldest first, zero-filled.")
    rail = KpiRailItem(many=True)
    sinks_computed_at = serializers.DateTimeField(allow_null=True)
    missing_days = serializers.IntegerField(help_text="Past days of the period the nightly aggregate has not written.")


class KpiSummaryInput(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(kpi.PERIODS), default=kpi.PERIODS[0])


@reads_may_lag
class KpiSummaryApi(SchoolApiView):
    """The school dashboard's figures: tiles, one point per day of the period and the action rail.
    Days before today come from the daily KPI sinks; today is computed live."""

    read_perm = "dashboard.view"
    pagination_class = None

    @extend_schema(
        operation_id="kpi_summary",
        parameters=[
            OpenApiParameter(
                "period",
                OpenApiTypes.INT,
                enum=list(kpi.PERIODS),
                default=kpi.PERIODS[0],
                description="Days, today included.",
            )
        ],
        responses={200: KpiSummary, 400: ERRORS[400], **READ_ERRORS},
        tags=["kpi"],
    )
    def get(self, request, school_slug):
        data = KpiSummaryInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        summary = kpi.dashboard_summary(school=self.school, days=int(data.validated_data["period"]))
        links = summary["links"]
        for item in summary["tiles"]:
            item["url"] = kpi.link_for(links[item["key"]], self.membership)
        summary["rail"] = kpi.rail_for(summary, self.membership)
        return Response(KpiSummary(summary).data)
