"""API: attendance figures for reporting under /api/v1/schools/<slug>/attendance/ (the old system's
`GET /api/attendance?aggregated=true` and `GET /api/attendance/completeness?date=`).

`summary/` answers counts and rates only: no pupil's name or id appears in any response, and a group
with fewer pupils than the school's minimum is suppressed (its figures null), so a figure cannot
single out a child. A token holding only `academics.view_attendance_summary` reads it, and nothing
per pupil. `completeness/` lists the registers of a day nobody has taken, for the attendance office.
"""

import datetime

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, validated
from classpoint.api.fields import DateField
from classpoint.api.views import SchoolApiView
from classpoint.replica import reads_may_lag

from .attendance.codes import policy_for
from .attendance.selectors import sittings_on
from .attendance.summary import GROUPINGS, attendance_summary
from .attendance_api import ClassGroupRef, NullableLesson, NullableStaff, nullable_object

SUMMARY = "academics.view_attendance_summary"
MANAGE = "academics.manage_attendance"
TAGS = ["attendance"]
MAX_SUMMARY_DAYS = 400  # a school year and a little: one answer, not a data export


class SummaryQuery(serializers.Serializer):
    # `from` is a keyword: the field is declared under its own name below.
    to = DateField(required=False, help_text="Last day; default: the school's today.")
    group_by = serializers.ChoiceField(choices=GROUPINGS, default="day")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DateField(required=False, help_text="First day; default: 30 days before `to`.")
        return fields


class FiguresOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Pupil-days with a mark.")
    present = serializers.IntegerField()
    absent = serializers.IntegerField(help_text="Absent without a valid excuse.")
    excused = serializers.IntegerField()
    late = serializers.IntegerField()
    attended = serializers.IntegerField(help_text="Days at school: present, late, or a code counting as present.")


NullableFigures = nullable_object(FiguresOutput, {name: {"type": "integer"} for name in FiguresOutput().fields})


class SummaryRowOutput(serializers.Serializer):
    key = serializers.CharField(help_text="The day or week's Monday (ISO date), the class group's id, or the level.")
    label = serializers.CharField()
    suppressed = serializers.BooleanField(help_text="Fewer pupils than the school's minimum: figures withheld.")
    group_size = serializers.IntegerField(
        allow_null=True, help_text="Most pupils on roll in a day; null if suppressed."
    )
    figures = NullableFigures(help_text="The counts; null when suppressed.")
    rate = serializers.FloatField(allow_null=True, help_text="attended / marked; null if suppressed or nothing marked.")


class SummaryOutput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    group_by = serializers.ChoiceField(choices=GROUPINGS)
    min_group_size = serializers.IntegerField()
    rows = SummaryRowOutput(many=True)


@reads_may_lag
class SummaryApi(SchoolApiView):
    read_perm = SUMMARY
    pagination_class = None

    @extend_schema(
        parameters=[SummaryQuery],
        responses={200: SummaryOutput, 400: ERRORS[400], **READ_ERRORS},
        tags=TAGS,
        description=f"Attendance counts and rates between two days (at most {MAX_SUMMARY_DAYS}), by day, week, "
        "class group or level. No pupil data; small groups suppressed. Past days come from the nightly sink, "
        "today is counted live.",
    )
    def get(self, request, school_slug):
        query = validated(SummaryQuery, request.query_params)
        today = self.school.local_today()
        end = query.get("to") or today
        start = query.get("from") or end - datetime.timedelta(days=30)
        if start > end:
            raise serializers.ValidationError({"from": ["Choose a day on or before `to`."]})
        if (end - start).days >= MAX_SUMMARY_DAYS:
            raise serializers.ValidationError({"from": [f"Ask for at most {MAX_SUMMARY_DAYS} days at a time."]})
        rows = attendance_summary(school=self.school, start=start, end=end, group_by=query["group_by"], today=today)
        body = {
            "start": start,
            "end": end,
            "group_by": query["group_by"],
            "min_group_size": policy_for(self.school).min_group_size,
            "rows": rows,
        }
        return Response(SummaryOutput(body).data)


class CompletenessQuery(serializers.Serializer):
    date = DateField(required=False, help_text="The day; default: the school's today.")


class MissingOutput(serializers.Serializer):
    class_group = ClassGroupRef()
    slot = NullableLesson(help_text="The lesson; null for the class's daily register.")
    teacher = NullableStaff(help_text="Who should take it: the form teacher, or the lesson's teacher.")


class CompletenessOutput(serializers.Serializer):
    date = serializers.DateField()
    expected = serializers.IntegerField(help_text="Registers the day asks for (school days in a term).")
    taken = serializers.IntegerField()
    missing = MissingOutput(many=True)


class CompletenessApi(SchoolApiView):
    read_perm = MANAGE
    pagination_class = None

    @extend_schema(
        parameters=[CompletenessQuery],
        responses={200: CompletenessOutput, 400: ERRORS[400], **READ_ERRORS},
        tags=TAGS,
        description="The registers a day asks for that nobody has taken yet (class groups' daily registers "
        "and/or lessons, in the school's policy). A day outside every term or on a closed weekday asks for none.",
    )
    def get(self, request, school_slug):
        query = validated(CompletenessQuery, request.query_params)
        date = query.get("date") or self.school.local_today()
        sittings = sittings_on(school=self.school, date=date)
        missing = [s for s in sittings if not s.taken]
        body = {"date": date, "expected": len(sittings), "taken": len(sittings) - len(missing), "missing": missing}
        return Response(CompletenessOutput(body).data)
