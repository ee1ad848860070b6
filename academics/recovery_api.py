"""API: recovery sessions under /api/v1/schools/<slug>/recovery-sessions/ (the old system's
`POST /api/recovery-sessions {school_id, date, capacity}`): schedule one, seat pupils, take attendance
at it, cancel it.

Scheduling, seating and cancelling need `academics.manage_attendance`; reading and taking attendance
need `academics.record_attendance`. A session, a teacher or a pupil of another school is a 404, as for
an id that does not exist. Seats are counted under a lock on the session: however many requests
assign at once, the session seats at most its capacity and the others get 409 `recovery_full`.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, found_or_404, paginated, scoped_get, validated
from classpoint.api.fields import DateField, DateFilter, IdField, IdFilter
from classpoint.api.views import SchoolApiView

from .api import ClockTimeInput, ClockTimeOutput
from .attendance_api import StaffRef, StudentRef
from .errors import AcademicsError, AcademicsErrorCode
from .models import RecoverySession
from .recovery.selectors import session_get, sessions_list
from .recovery.services import (
    MAX_CAPACITY,
    MAX_LOCATION,
    MAX_PUPILS,
    recovery_assign,
    recovery_attendance_take,
    recovery_session_cancel,
    recovery_session_create,
)

RECORD = "academics.record_attendance"
MANAGE = "academics.manage_attendance"
TAGS = ["recovery sessions"]
MAX_REASON = 500
State = RecoverySession.State


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_FOUND = _error("No such session (a session of another school is not found either).")
IDEMPOTENCY_409 = "or an Idempotency-Key reused with another body"


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "required": ["id", "name"],
    }
)
class TeacherField(serializers.Field):
    """The teacher or null, declared inline: the schema validator reads `nullable` beside an `allOf`
    reference (what a nested serializer with allow_null gives) as not allowing null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return StaffRef(value).data


class RecoverySessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    start_time = ClockTimeOutput(help_text="School-local, HH:MM.")
    end_time = ClockTimeOutput(help_text="School-local, HH:MM.")
    minutes = serializers.IntegerField(help_text="The session's length: what attending credits, before the cap.")
    location = serializers.CharField()
    teacher = TeacherField(help_text="Who runs it; null: nobody yet.")
    capacity = serializers.IntegerField()
    seats_taken = serializers.IntegerField()
    seats_free = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    created_at = serializers.DateTimeField()

    def get_seats_free(self, session) -> int:
        return max(0, session.capacity - session.seats_taken)


class RecoverySeatOutput(serializers.Serializer):
    student = StudentRef()
    attended = serializers.BooleanField(allow_null=True, help_text="Null until attendance is taken.")
    minutes_credited = serializers.IntegerField(
        help_text="Minutes credited for this session: its length, less where the yearly cap is reached; 0 if absent."
    )
    assigned_at = serializers.DateTimeField()


class RecoverySessionDetailOutput(RecoverySessionOutput):
    seats = RecoverySeatOutput(many=True, help_text="The pupils seated, by name.")


class RecoveryAssignOutput(RecoverySessionDetailOutput):
    assigned = serializers.ListField(child=serializers.IntegerField(), help_text="Pupils seated by this request.")
    already_assigned = serializers.ListField(
        child=serializers.IntegerField(), help_text="Pupils asked for who had a seat already (unchanged)."
    )


class RecoverySessionInput(serializers.Serializer):
    date = DateField(help_text="Today or a later day.")
    start_time = ClockTimeInput(help_text="School-local, HH:MM.")
    end_time = ClockTimeInput(help_text="After start_time.")
    location = serializers.CharField(max_length=MAX_LOCATION)
    teacher = IdField(required=False, allow_null=True, help_text="A teacher on the staff list; null: none yet.")
    capacity = serializers.IntegerField(required=False, default=25, min_value=1, max_value=MAX_CAPACITY)


class RecoveryAssignInput(serializers.Serializer):
    students = serializers.ListField(
        child=IdField(), min_length=1, max_length=MAX_PUPILS, help_text="Pupils to seat (ids)."
    )


class RecoveryAttendanceMarkInput(serializers.Serializer):
    student = IdField(help_text="A pupil seated in the session.")
    attended = serializers.BooleanField()


class RecoveryAttendInput(serializers.Serializer):
    marks = RecoveryAttendanceMarkInput(
        many=True, min_length=1, max_length=MAX_PUPILS, help_text="Pupils not named keep what they had."
    )


class RecoveryCancelInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON, default="", help_text="Kept in the audit log."
    )


class RecoverySessionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=State.choices)
    teacher = IdFilter(field_name="teacher_id")

    class Meta:
        model = RecoverySession
        fields = []


# `from` is Python's: the two day filters are added by name.
RecoverySessionFilter.base_filters["from"] = DateFilter(field_name="date", lookup_expr="gte", label="First day")
RecoverySessionFilter.base_filters["to"] = DateFilter(field_name="date", lookup_expr="lte", label="Last day")


def _session(school, pk):
    """The session the path names (found before the body is read: another school's id is a 404
    whatever was sent)."""
    return scoped_get(sessions_list(school=school), pk)


def _session_detail(school, pk):
    return found_or_404(session_get(school=school, session_id=pk))


class RecoverySessionListApi(SchoolApiView):
    read_perm = RECORD
    write_perm = MANAGE
    # Read by the schema generator only (filter parameters); requests go through `paginated`.
    queryset = RecoverySession.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = RecoverySessionFilter

    @extend_schema(
        responses={200: RecoverySessionOutput(many=True), 400: ERRORS[400], **READ_ERRORS},
        filters=True,
        tags=TAGS,
        description="Recovery sessions by day and start time (the id breaks ties); `from`/`to` narrow the days.",
    )
    def get(self, request, school_slug):
        return paginated(self, sessions_list(school=self.school), RecoverySessionOutput, RecoverySessionFilter)

    @extend_schema(
        request=RecoverySessionInput,
        responses={
            201: RecoverySessionDetailOutput,
            400: _error(
                "Invalid input: `invalid` (the body's shape) or `recovery_invalid` (a day that has passed, an end "
                "before the start, no location, a staff member who is not a teacher), each named in `fields`.",
            ),
            403: ERRORS[403],
            404: _error("`teacher_not_found`: no such teacher in this school."),
            409: ERRORS[409],
        },
        tags=TAGS,
        description="Schedule a recovery session (capacity 25 unless given).",
    )
    def post(self, request, school_slug):
        data = validated(RecoverySessionInput, request.data)
        teacher = None
        if data.get("teacher") is not None:
            teacher = self.school.staff.filter(pk=data["teacher"]).first()
            if teacher is None:
                raise _teacher_not_found()
        session = recovery_session_create(
            school=self.school,
            actor=request.user,
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            location=data["location"],
            teacher=teacher,
            capacity=data["capacity"],
        )
        body = RecoverySessionDetailOutput(_session_detail(self.school, session.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


def _teacher_not_found():
    # As for an id that does not exist, whichever school the id belongs to.
    error = AcademicsError(
        "Not found.", code=AcademicsErrorCode.TEACHER_NOT_FOUND, fields={"teacher": ["Not found in this school."]}
    )
    error.status_code = status.HTTP_404_NOT_FOUND
    return error


class RecoverySessionDetailApi(SchoolApiView):
    read_perm = RECORD

    @extend_schema(responses={200: RecoverySessionDetailOutput, 403: ERRORS[403], 404: NOT_FOUND}, tags=TAGS)
    def get(self, request, school_slug, pk):
        return Response(RecoverySessionDetailOutput(_session_detail(self.school, pk)).data)


class RecoveryAssignApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=RecoveryAssignInput,
        responses={
            200: RecoveryAssignOutput,
            400: _error("Invalid input: `invalid`, or `recovery_invalid` (a pupil who has left the school)."),
            403: ERRORS[403],
            404: _error("No such session, or `student_not_found`: a pupil of another school (`fields`)."),
            409: _error(
                "`recovery_full` (fewer free seats than pupils: nobody is seated), `already_assigned` (a pupil is in "
                f"another session at that time), `recovery_cancelled`, {IDEMPOTENCY_409}.",
            ),
        },
        tags=TAGS,
        description="Seat pupils in the session. A pupil already seated keeps their seat (asking again changes "
        "nothing); the pupils are seated all or none.",
    )
    def post(self, request, school_slug, pk):
        session = _session(self.school, pk)
        data = validated(RecoveryAssignInput, request.data)
        try:
            result = recovery_assign(
                school=self.school, session=session, student_ids=data["students"], actor=request.user
            )
        except AcademicsError as exc:
            if exc.code == AcademicsErrorCode.STUDENT_NOT_FOUND:
                exc.status_code = status.HTTP_404_NOT_FOUND
            raise
        detail = _session_detail(self.school, session.pk)
        detail.assigned = [student.pk for student in result.assigned]
        detail.already_assigned = [student.pk for student in result.already]
        return Response(RecoveryAssignOutput(detail).data)


class RecoveryAttendApi(SchoolApiView):
    write_perm = RECORD

    @extend_schema(
        request=RecoveryAttendInput,
        responses={
            200: RecoverySessionDetailOutput,
            400: _error(
                "Invalid input: `invalid` (each bad row named `marks.<n>`), `recovery_invalid` (a pupil without a "
                "seat, named `marks.<student_id>`) or `recovery_in_future` (the session's day has not come).",
            ),
            403: ERRORS[403],
            404: NOT_FOUND,
            409: _error(f"`recovery_cancelled`: the session is cancelled; {IDEMPOTENCY_409}."),
        },
        tags=TAGS,
        description="Record who came. Attending credits the session's minutes, less where the pupil's total "
        "for the school year would pass the school's cap; sending it again recomputes the credit (never twice).",
    )
    def post(self, request, school_slug, pk):
        session = _session(self.school, pk)
        data = validated(RecoveryAttendInput, request.data)
        marks, twice = {}, {}
        for row in data["marks"]:
            if row["student"] in marks:
                twice[f"marks.{row['student']}"] = ["This pupil is marked twice."]
            marks[row["student"]] = row["attended"]
        if twice:
            raise serializers.ValidationError(twice)
        recovery_attendance_take(school=self.school, session=session, marks=marks, actor=request.user)
        return Response(RecoverySessionDetailOutput(_session_detail(self.school, session.pk)).data)


class RecoveryCancelApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=RecoveryCancelInput,
        responses={
            200: RecoverySessionDetailOutput,
            400: ERRORS[400],
            403: ERRORS[403],
            404: NOT_FOUND,
            409: _error(f"`recovery_taken`: attendance was taken at the session; {IDEMPOTENCY_409}."),
        },
        tags=TAGS,
        description="Cancel the session (cancelling one already cancelled changes nothing). Its seats are kept.",
    )
    def post(self, request, school_slug, pk):
        session = _session(self.school, pk)
        data = validated(RecoveryCancelInput, request.data)
        recovery_session_cancel(school=self.school, session=session, actor=request.user, reason=data["reason"])
        return Response(RecoverySessionDetailOutput(_session_detail(self.school, session.pk)).data)
