"""A pupil's attendance between two days; every read is in the pupil's access log."""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, scoped_get
from classpoint.api.fields import DateField
from classpoint.api.views import SchoolApiView
from classpoint.audit import record_access

from ..attendance.registers import term_on
from ..attendance.selectors import student_history
from .common import TAGS, VIEW, ClassGroupRef, Kind, NullableLesson, StudentRef

# A history longer than a school year is a report, not one answer (as on the officer's page).
MAX_HISTORY_DAYS = 400
DEFAULT_HISTORY_DAYS = 30


class HistoryMarkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    register_id = serializers.IntegerField()
    class_group = ClassGroupRef(source="register.class_group")
    slot = NullableLesson(help_text="The lesson; null: the daily register.")
    code = serializers.CharField(source="code.code")
    kind = serializers.ChoiceField(choices=Kind.choices)
    minutes_late = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


class HistoryDayOutput(serializers.Serializer):
    date = serializers.DateField()
    marks = HistoryMarkOutput(many=True)


class TotalsOutput(serializers.Serializer):
    present = serializers.IntegerField()
    absent = serializers.IntegerField()
    excused = serializers.IntegerField()
    late = serializers.IntegerField()


class HistoryOutput(serializers.Serializer):
    student = StudentRef()
    start = serializers.DateField(help_text="`from`, as applied.")
    end = serializers.DateField(help_text="`to`, as applied.")
    days = HistoryDayOutput(many=True, help_text="Days with a mark, oldest first.")
    totals = TotalsOutput(help_text="Days by kind: a day counts once (its daily mark, else its worst lesson).")
    rate = serializers.FloatField(
        allow_null=True, help_text="Share of marked days attended, 0 to 1; null without a marked day."
    )


HistoryQuery = type(
    "HistoryQuery",
    (serializers.Serializer,),
    {"from": DateField(required=False), "to": DateField(required=False)},
)


class StudentHistoryApi(SchoolApiView):
    read_perm = VIEW
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="First day; default: the start of the "
                f"term that includes `to`, else {DEFAULT_HISTORY_DAYS} days before `to`.",
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day; default: the school's today."),
        ],
        responses={200: HistoryOutput, 400: ERRORS[400], **READ_ERRORS},
        tags=TAGS,
        description=f"A pupil's attendance between two days (at most {MAX_HISTORY_DAYS}): each day's marks, "
        "totals and the rate. Every read is recorded in the pupil's access log.",
    )
    def get(self, request, school_slug, student_id):
        student = scoped_get(self.school.students, student_id)
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        end = query.validated_data.get("to") or self.school.local_today()
        start = query.validated_data.get("from") or _default_start(self.school, end)
        if start > end:
            raise serializers.ValidationError({"from": ["Choose a day on or before `to`."]})
        if (end - start).days >= MAX_HISTORY_DAYS:
            raise serializers.ValidationError({"from": [f"Ask for at most {MAX_HISTORY_DAYS} days at a time."]})
        history = student_history(school=self.school, student=student, start=start, end=end)
        record_access(school=self.school, actor=request.user, target=student, via="api")
        body = {
            "student": student,
            "start": history.start,
            "end": history.end,
            "days": [{"date": day, "marks": marks} for day, marks in history.days],
            "totals": history.totals,
            "rate": history.rate,
        }
        return Response(HistoryOutput(body).data)


def _default_start(school, end):
    term = term_on(school=school, date=end)
    return term.start_date if term is not None else end - datetime.timedelta(days=DEFAULT_HISTORY_DAYS)
