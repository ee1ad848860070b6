"""What the attendance API modules share: permissions, the small nested objects (a class group, a
lesson, a member of staff, a pupil), a register's marks and the errors of a submission."""

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from classpoint.api.base import ERRORS, ErrorSerializer

from ..api import CLOCK_PATTERN, ClockTimeOutput
from ..models import AbsenceCode, AttendanceMark

RECORD = "academics.record_attendance"
VIEW = "academics.view_attendance"
MANAGE = "academics.manage_attendance"
TAGS = ["attendance"]
Kind = AbsenceCode.Kind
MAX_REASON = 500

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


class StudentRef(serializers.Serializer):
    id = serializers.IntegerField()
    admission_number = serializers.CharField()
    name = serializers.CharField(source="full_name")


def who(user):
    return (user.get_full_name() or user.get_username()) if user else None


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
        return who(mark.marked_by)


def school_marks(school):
    return (
        AttendanceMark.objects.for_school(school)
        .select_related("student", "code", "marked_by")
        .order_by("student__last_name", "student__first_name", "student__admission_number", "id")
    )
