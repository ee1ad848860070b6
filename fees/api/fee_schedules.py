"""API: /api/v1/schools/<slug>/fee-schedules/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated
from classpoint.api.fields import AmountMinorField, DateField, IdField
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import FeeItem, FeeSchedule
from .common import in_school


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
                "fee_item": in_school(items, line["fee_item_id"], f"lines.{i}.fee_item_id"),
            }
            for i, line in enumerate(v["lines"])
        ]
        schedule = services.fee_schedule_create(
            school=self.school,
            actor=request.user,
            name=v["name"],
            lines=lines,
            level=v.get("level", ""),
            term=in_school(self.school.terms, v["term_id"], "term_id"),
            class_group=in_school(self.school.class_groups, v.get("class_group_id"), "class_group_id"),
        )
        return Response(FeeScheduleOutput(schedule).data, status=status.HTTP_201_CREATED)
