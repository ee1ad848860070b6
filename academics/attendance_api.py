"""API: attendance under /api/v1/schools/<slug>/attendance/: registers and their marks, a pupil's
history, correcting one mark, and the school's absence codes.

A register exists once it is submitted: `POST attendance/registers/` takes it (201) or, for a
register already taken, edits it (200), as `PUT …/<id>/marks/` does. A teacher may take any class's
register (a cover lesson is still theirs to take). Input the service refuses is answered with its
code and `fields`, each pupil's row named `marks.<student_id>`; nothing is saved. Ids of another
school (a register, a mark, a pupil, a class group, a lesson) are a 404, as for ids that do not exist.
Every read of a pupil's history is in the pupil's access log.
"""

import datetime

import django_filters
from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, paginated, scoped_get, validated
from classpoint.api.fields import DateField, DateFilter, IdField, IdFilter
from classpoint.api.pagination import Pagination
from classpoint.api.views import SchoolApiView
from classpoint.audit import record_access

from .api import CLOCK_PATTERN, ClockTimeOutput
from .attendance.codes import codes_for
from .attendance.registers import MAX_MINUTES_LATE, MAX_NOTE, NOT_HERE, mark_correct, register_submit, term_on
from .attendance.selectors import student_history
from .errors import AcademicsError, AcademicsErrorCode
from .models import AbsenceCode, AttendanceMark, Register, ScheduleSlot

RECORD = "academics.record_attendance"
VIEW = "academics.view_attendance"
MANAGE = "academics.manage_attendance"
TAGS = ["attendance"]
Kind = AbsenceCode.Kind
MAX_MARKS = 1000  # rows in one submission: far more than any class, few enough to answer quickly
MAX_REASON = 500
# A history longer than a school year is a report, not one answer (as on the officer's page).
MAX_HISTORY_DAYS = 400
DEFAULT_HISTORY_DAYS = 30

SUBMIT_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Invalid input: `invalid` (the body's shape), `invalid_marks` (each pupil's row named "
        "`marks.<student_id>`), `register_in_future`, `not_a_school_day`, `no_term`, `lesson_not_on_day` or "
        "`reason_required` (a closed day's register changes only with a `reason`).",
    ),
    403: ERRORS[403],
    404: OpenApiResponse(
        ErrorSerializer,
        description="No such register, or `class_group_not_found` / `slot_not_found` (an id of another school "
        "is not found either).",
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`already_marked`: a pupil already has a mark for that period in another class's register "
        "(`fields` name them); or an Idempotency-Key reused with another body.",
    ),
}
# Editing names a register or a mark by its path: a missing one is the plain 404.
EDIT_ERRORS = {**SUBMIT_ERRORS, 404: ERRORS[404]}


class ClassGroupRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LessonRef(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    start = ClockTimeOutput(source="start_time")
    end = ClockTimeOutput(source="end_time")


class StaffRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


def nullable_object(serializer_class, properties):
    """A nested object or null. Declared inline: the schema validator reads `nullable` beside an
    `allOf` reference (what a nested serializer with allow_null gives) as not allowing null."""

    @extend_schema_field({"type": "object", "nullable": True, "properties": properties, "required": list(properties)})
    class NullableObject(serializers.Field):
        def __init__(self, **kwargs):
            super().__init__(read_only=True, **kwargs)

        def to_representation(self, value):
            return serializer_class(value).data

    return NullableObject


CLOCK = {"type": "string", "pattern": CLOCK_PATTERN, "example": "09:00"}
NullableLesson = nullable_object(
    LessonRef, {"id": {"type": "integer"}, "subject": {"type": "string"}, "start": CLOCK, "end": CLOCK}
)
NullableStaff = nullable_object(StaffRef, {"id": {"type": "integer"}, "name": {"type": "string"}})


class CountsOutput(serializers.Serializer):
    present = serializers.IntegerField(source="n_present")
    absent = serializers.IntegerField(source="n_absent")
    excused = serializers.IntegerField(source="n_excused")
    late = serializers.IntegerField(source="n_late")


def _who(user):
    return (user.get_full_name() or user.get_username()) if user else None


class RegisterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    class_group = ClassGroupRef()
    slot = NullableLesson(help_text="The lesson; null for the class's daily register.")
    teacher = NullableStaff(help_text="Who took the register, when they have a staff profile.")
    submitted_at = serializers.DateTimeField()
    submitted_by = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(allow_null=True, help_text="The last edit; null if never edited.")
    updated_by = serializers.SerializerMethodField()
    counts = CountsOutput(source="*", help_text="Marks on the register by kind.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_submitted_by(self, register):
        return _who(register.submitted_by)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_updated_by(self, register):
        return _who(register.updated_by)


class MarkOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The mark's id (to correct it).")
    register_id = serializers.IntegerField()
    date = serializers.DateField()
    student_id = serializers.IntegerField()
    admission_number = serializers.CharField(source="student.admission_number")
    name = serializers.CharField(source="student.full_name")
    code = serializers.CharField(source="code.code")
    kind = serializers.ChoiceField(choices=Kind.choices)
    minutes_late = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    marked_at = serializers.DateTimeField()
    marked_by = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_marked_by(self, mark):
        return _who(mark.marked_by)


class RegisterDetailOutput(RegisterOutput):
    marks = MarkOutput(many=True, source="mark_rows", help_text="Every pupil marked, by name.")


class MarkInput(serializers.Serializer):
    student = IdField(help_text="A pupil on the register that day.")
    code = serializers.CharField(max_length=20, help_text='One of the school\'s codes ("A", "E-ILL") or its id.')
    minutes_late = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_MINUTES_LATE,
        help_text="Required (at least 1) with a late code; ignored otherwise.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE, default="")


class MarksInput(serializers.Serializer):
    marks = MarkInput(
        many=True,
        max_length=MAX_MARKS,
        help_text="On the first submission a pupil without a row is present; later, they keep their mark.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REASON,
        default="",
        help_text="Why the register changes: required to edit it once its day is over (kept in the audit log).",
    )


class RegisterInput(MarksInput):
    class_group = IdField()
    date = DateField(help_text="The register's day: today or a past school day in a term.")
    slot = IdField(required=False, allow_null=True, help_text="A lesson of that class on that weekday; null: daily.")


class CorrectionInput(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="The new code (or its id).")
    minutes_late = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_MINUTES_LATE, help_text="With a late code."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NOTE, help_text="Omitted: the mark keeps its note."
    )
    reason = serializers.CharField(
        allow_blank=True, max_length=MAX_REASON, help_text="Why (a note from home…); blank is `reason_required`."
    )


class CodeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    key = serializers.CharField(help_text="The register page's keyboard key for it; empty: none.")
    counts_as_present = serializers.BooleanField(help_text="Counts as a day at school for the rate.")


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


class StudentRef(serializers.Serializer):
    id = serializers.IntegerField()
    admission_number = serializers.CharField()
    name = serializers.CharField(source="full_name")


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


class RegisterFilter(django_filters.FilterSet):
    date = DateFilter()
    class_group = IdFilter(field_name="class_group_id")
    slot = IdFilter(field_name="slot_id")
    submitted = django_filters.BooleanFilter(method="filter_submitted", label="Submitted (every register is)")

    class Meta:
        model = Register
        fields = []

    def filter_submitted(self, queryset, name, value):
        return queryset.filter(submitted_at__isnull=not value)


def _registers(school):
    counts = {f"n_{kind}": Count("marks", filter=Q(marks__kind=kind)) for kind in Kind.values}
    return (
        Register.objects.for_school(school)
        .select_related("class_group", "slot", "teacher", "submitted_by", "updated_by")
        .annotate(**counts)
        .order_by("-date", "class_group__name", F("slot__start_time").asc(nulls_first=True), "id")
    )


def _marks(school):
    return (
        AttendanceMark.objects.for_school(school)
        .select_related("student", "code", "marked_by")
        .order_by("student__last_name", "student__first_name", "student__admission_number", "id")
    )


def _register_detail(school, pk):
    queryset = _registers(school).prefetch_related(Prefetch("marks", queryset=_marks(school), to_attr="mark_rows"))
    return scoped_get(queryset, pk)


def _as_404(error):
    # As for an id that does not exist, whichever school the id belongs to.
    error.status_code = status.HTTP_404_NOT_FOUND
    return error


def _validated_marks(serializer_class, data):
    """The input, or a 400 naming each bad row `marks.<student_id>` as the service does."""
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data
    errors = dict(serializer.errors)
    rows = errors.pop("marks", None)
    raw = data.get("marks") if isinstance(data, dict) else None
    # A row's errors come by position (a dict keyed by index, or a list with {} for good rows).
    if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
        rows = dict(enumerate(rows))
    if isinstance(rows, dict) and isinstance(raw, list):
        for index, row_errors in rows.items():
            for name, messages in row_errors.items():
                errors.setdefault(_row_key(raw[index]), []).extend(f"{name}: {message}" for message in messages)
    elif rows:
        errors["marks"] = rows
    raise serializers.ValidationError(errors)


def _row_key(row):
    student = row.get("student") if isinstance(row, dict) else None
    if isinstance(student, int) and not isinstance(student, bool):
        return f"marks.{student}"
    if isinstance(student, str) and student.strip().isdigit():
        return f"marks.{int(student)}"
    return "marks"


def _service_rows(marks):
    return [
        {
            "student_id": row["student"],
            "code": row["code"],
            "minutes_late": row.get("minutes_late"),
            "note": row.get("note", ""),
        }
        for row in marks
    ]


class RegisterListApi(SchoolApiView):
    read_perm = RECORD
    write_perm = RECORD
    # Read by the schema generator only (filter parameters); requests go through `paginated`.
    queryset = Register.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = RegisterFilter

    @extend_schema(
        responses={200: RegisterOutput(many=True), 400: ERRORS[400], **READ_ERRORS},
        filters=True,
        tags=TAGS,
        description="Registers taken, newest day first, then by class and lesson time.",
    )
    def get(self, request, school_slug):
        return paginated(self, _registers(self.school), RegisterOutput, RegisterFilter)

    @extend_schema(
        request=RegisterInput,
        responses={
            201: OpenApiResponse(RegisterDetailOutput, description="The register's first submission."),
            200: OpenApiResponse(RegisterDetailOutput, description="The register was already taken: edited."),
            **SUBMIT_ERRORS,
        },
        tags=TAGS,
        description="Take a register (a class group's day, or one lesson with `slot`), or edit one taken. "
        "On the first submission every pupil without a row is present.",
    )
    def post(self, request, school_slug):
        data = _validated_marks(RegisterInput, request.data)
        class_group = self.school.class_groups.filter(pk=data["class_group"]).first()
        if class_group is None:
            raise _as_404(
                AcademicsError(
                    NOT_HERE, code=AcademicsErrorCode.CLASS_GROUP_NOT_FOUND, fields={"class_group": [NOT_HERE]}
                )
            )
        slot = None
        if data.get("slot") is not None:
            slot = ScheduleSlot.objects.for_school(self.school).filter(pk=data["slot"]).first()
            if slot is None:
                raise _as_404(
                    AcademicsError(NOT_HERE, code=AcademicsErrorCode.SLOT_NOT_FOUND, fields={"slot": [NOT_HERE]})
                )
        now = timezone.now()
        register = register_submit(
            school=self.school,
            class_group=class_group,
            date=data["date"],
            slot=slot,
            marks=_service_rows(data["marks"]),
            actor=request.user,
            teacher=self.school.staff.filter(user=request.user).first(),
            reason=data["reason"],
            now=now,
        )
        # The first submission is stamped with this request's moment; an edit keeps the earlier one.
        first = register.submitted_at == now
        body = RegisterDetailOutput(_register_detail(self.school, register.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if first else status.HTTP_200_OK)


class RegisterDetailApi(SchoolApiView):
    read_perm = RECORD

    @extend_schema(responses={200: RegisterDetailOutput, **READ_ERRORS}, tags=TAGS)
    def get(self, request, school_slug, pk):
        return Response(RegisterDetailOutput(_register_detail(self.school, pk)).data)


class RegisterMarksApi(SchoolApiView):
    read_perm = RECORD
    write_perm = RECORD

    @extend_schema(
        responses={200: MarkOutput(many=True), **READ_ERRORS},
        tags=TAGS,
        description="The register's marks, by pupil name. A pupil who joined the class after the register "
        "was taken has no mark on it, so no row.",
    )
    def get(self, request, school_slug, pk):
        register = scoped_get(Register.objects.for_school(self.school), pk)
        return paginated(self, _marks(self.school).filter(register=register), MarkOutput)

    @extend_schema(
        request=MarksInput,
        responses={200: RegisterDetailOutput, **EDIT_ERRORS},
        tags=TAGS,
        description="Edit the register: each row replaces that pupil's mark; pupils without a row keep theirs.",
    )
    def put(self, request, school_slug, pk):
        register = scoped_get(Register.objects.for_school(self.school).select_related("class_group", "slot"), pk)
        data = _validated_marks(MarksInput, request.data)
        register_submit(
            school=self.school,
            class_group=register.class_group,
            date=register.date,
            slot=register.slot,
            marks=_service_rows(data["marks"]),
            actor=request.user,
            reason=data["reason"],
            fill_present=False,
        )
        return Response(RegisterDetailOutput(_register_detail(self.school, register.pk)).data)


class MarkCorrectApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=CorrectionInput,
        responses={200: MarkOutput, **EDIT_ERRORS},
        tags=TAGS,
        description="Correct one mark, with the reason kept in the audit log (an attendance officer's).",
    )
    def post(self, request, school_slug, pk):
        # Found before the body is read: another school's mark is a 404 whatever was sent.
        mark = scoped_get(
            AttendanceMark.objects.for_school(self.school).select_related("register__class_group", "register__slot"),
            pk,
        )
        data = validated(CorrectionInput, request.data)
        mark_correct(
            school=self.school,
            mark=mark,
            code=data["code"],
            actor=request.user,
            reason=data["reason"],
            minutes_late=data.get("minutes_late"),
            note=data.get("note"),
        )
        return Response(MarkOutput(_marks(self.school).get(pk=mark.pk)).data)


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


class CodeListApi(SchoolApiView):
    read_perm = RECORD

    @extend_schema(
        responses={200: CodeOutput(many=True), **READ_ERRORS},
        tags=TAGS,
        description="The school's active absence codes, in the register page's order.",
    )
    def get(self, request, school_slug):
        paginator = Pagination()
        page = paginator.paginate_queryset(codes_for(self.school), request, view=self)
        return paginator.get_paginated_response(CodeOutput(page, many=True).data)
