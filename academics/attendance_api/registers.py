"""Registers: the list, taking one (or editing it again), one register and its marks."""

import django_filters
from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import DateField, DateFilter, IdField, IdFilter
from classpoint.api.views import SchoolApiView

from ..attendance.registers import MAX_MINUTES_LATE, MAX_NOTE, NOT_HERE, register_submit
from ..errors import AcademicsError, AcademicsErrorCode
from ..models import Register, ScheduleSlot
from .common import (
    EDIT_ERRORS,
    MAX_REASON,
    RECORD,
    SUBMIT_ERRORS,
    TAGS,
    ClassGroupRef,
    Kind,
    MarkOutput,
    NullableLesson,
    NullableStaff,
    school_marks,
    who,
)

MAX_MARKS = 1000  # rows in one submission: far more than any class, few enough to answer quickly


class CountsOutput(serializers.Serializer):
    present = serializers.IntegerField(source="n_present")
    absent = serializers.IntegerField(source="n_absent")
    excused = serializers.IntegerField(source="n_excused")
    late = serializers.IntegerField(source="n_late")


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
        return who(register.submitted_by)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_updated_by(self, register):
        return who(register.updated_by)


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


def _register_detail(school, pk):
    queryset = _registers(school).prefetch_related(
        Prefetch("marks", queryset=school_marks(school), to_attr="mark_rows")
    )
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
        return paginated(self, school_marks(self.school).filter(register=register), MarkOutput)

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
