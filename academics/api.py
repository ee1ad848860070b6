"""API: /api/v1/schools/<slug>/schedule-slots/ (the timetable) and its clash check.

A clash is a 409 whose `fields` name the inputs in the way (`teacher_id`, `room`, `class_group_id`)
with one sentence each saying who and which slot; bad input is a 400 with field errors."""

from contextlib import contextmanager

import django_filters
from django.db.models import Count
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, paginated, scoped_get
from classpoint.api.fields import IdField, IdFilter
from classpoint.api.views import SchoolApiView

from . import services
from .errors import AcademicsError
from .models import ScheduleSlot, Weekday

READ = "students.view"
MANAGE = "academics.manage_timetable"
CLASH_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        ErrorSerializer,
        description="A clash with the timetable (code `conflict`: `fields` say "
        "who and which slot), seats taken (`slot_in_use`), or an Idempotency-Key reused with "
        "another body.",
    ),
}
# The services name inputs as models do; the API names the ids it takes.
API_FIELDS = {"term": "term_id", "class_group": "class_group_id", "teacher": "teacher_id"}


@contextmanager
def api_field_names():
    try:
        yield
    except AcademicsError as exc:
        exc.fields = {API_FIELDS.get(name, name): errors for name, errors in exc.fields.items()}
        raise


def _in_school(queryset, pk, field):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if pk is not None and obj is None:
        raise serializers.ValidationError({field: ["Not found in this school."]})
    return obj


# A lesson's time is school-local wall-clock time, answered as HH:MM. OpenAPI's `time` format means
# RFC 3339 time with seconds (and validators expect an offset), which these are not: say what they are.
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@extend_schema_field({"type": "string", "pattern": CLOCK_PATTERN, "example": "09:00"})
class ClockTimeOutput(serializers.TimeField):
    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "09:00"}
)
class ClockTimeInput(serializers.TimeField):
    """HH:MM (seconds allowed and kept, nothing else: no date, no offset)."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class SlotOutput(serializers.ModelSerializer):
    class_group = serializers.CharField(source="class_group.name", read_only=True)
    teacher = serializers.SerializerMethodField()
    weekday_name = serializers.CharField(source="get_weekday_display", read_only=True)
    start_time = ClockTimeOutput()
    end_time = ClockTimeOutput()
    seats_taken = serializers.IntegerField(read_only=True, help_text="Applicants and students seated in this slot.")
    seats = serializers.SerializerMethodField(help_text="Seats in this slot: its capacity, else the class group's.")

    class Meta:
        model = ScheduleSlot
        fields = [
            "id",
            "term_id",
            "class_group_id",
            "class_group",
            "subject",
            "teacher_id",
            "teacher",
            "weekday",
            "weekday_name",
            "start_time",
            "end_time",
            "room",
            "capacity",
            "seats",
            "seats_taken",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_teacher(self, slot):
        return str(slot.teacher) if slot.teacher_id else None

    def get_seats(self, slot) -> int:
        return slot.capacity if slot.capacity is not None else slot.class_group.capacity


class SlotInput(serializers.Serializer):
    term_id = IdField()
    class_group_id = IdField()
    subject = serializers.CharField(max_length=80)
    teacher_id = IdField(required=False, allow_null=True, help_text="A staff member; null: none yet.")
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="1 Monday … 7 Sunday.")
    start_time = ClockTimeInput(help_text="School-local, HH:MM.")
    end_time = ClockTimeInput(
        help_text="After start_time; a lesson ending at 10:00 and one starting at 10:00 do not clash."
    )
    room = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    capacity = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=services.MAX_SLOT_CAPACITY,
        help_text="Seats; null: the class group's capacity.",
    )


class SlotPatchInput(SlotInput):
    """Every field optional; send only what changes (`teacher_id` assigns or, with null, removes a teacher)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class SlotCheckInput(serializers.Serializer):
    term_id = IdField()
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    start_time = ClockTimeInput()
    end_time = ClockTimeInput()
    class_group_id = IdField(required=False, allow_null=True)
    teacher_id = IdField(required=False, allow_null=True)
    room = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    exclude_slot_id = IdField(
        required=False, allow_null=True, help_text="The slot being edited, so it does not clash with itself."
    )

    def validate(self, data):
        if data["end_time"] <= data["start_time"]:
            raise serializers.ValidationError({"end_time": ["The lesson must end after it starts."]})
        return data


class ConflictOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["teacher", "room", "class"])
    message = serializers.CharField()
    slot_id = serializers.IntegerField(allow_null=True, help_text="The slot in the way.")


class ConflictsOutput(serializers.Serializer):
    conflicts = ConflictOutput(many=True, help_text="Empty: the slot would fit.")


class SlotFilter(django_filters.FilterSet):
    term = IdFilter(field_name="term_id")
    class_group = IdFilter(field_name="class_group_id")
    teacher = IdFilter(field_name="teacher_id")
    weekday = django_filters.ChoiceFilter(choices=Weekday.choices)

    class Meta:
        model = ScheduleSlot
        fields = ["weekday"]


def _all_slots(school):
    return (
        ScheduleSlot.objects.for_school(school)
        .select_related("class_group", "teacher")
        .annotate(seats_taken=Count("seats"))
        .order_by("term_id", "weekday", "start_time", "class_group__name", "id")
    )


def _resolve(school, data):
    """The service's objects for the ids given; another school's id is "not found" (400)."""
    values = {}
    lookups = {
        "term_id": ("term", school.terms),
        "class_group_id": ("class_group", school.class_groups),
        "teacher_id": ("teacher", school.staff),
    }
    for key, value in data.items():
        if key in lookups:
            name, queryset = lookups[key]
            values[name] = _in_school(queryset, value, key)
        elif key == "weekday":
            values[key] = int(value)
        else:
            values[key] = value
    return values


class SlotListApi(SchoolApiView):
    read_perm = READ
    write_perm = MANAGE
    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = ScheduleSlot.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = SlotFilter

    @extend_schema(
        responses={200: SlotOutput(many=True), **READ_ERRORS},
        filters=True,
        tags=["timetable"],
        description="The timetable's lessons, by term, day and time.",
    )
    def get(self, request, school_slug):
        return paginated(self, _all_slots(self.school), SlotOutput, SlotFilter)

    @extend_schema(
        request=SlotInput,
        responses={201: SlotOutput, **CLASH_ERRORS},
        tags=["timetable"],
        description="Add a lesson. Refused with 409 when the teacher, the room or the class group is "
        "already busy then.",
    )
    def post(self, request, school_slug):
        data = SlotInput(data=request.data)
        data.is_valid(raise_exception=True)
        with api_field_names():
            slot = services.slot_create(
                school=self.school, actor=request.user, **_resolve(self.school, data.validated_data)
            )
        return Response(SlotOutput(_all_slots(self.school).get(pk=slot.pk)).data, status=status.HTTP_201_CREATED)


class SlotDetailApi(SchoolApiView):
    read_perm = READ
    write_perm = MANAGE

    @extend_schema(responses={200: SlotOutput, **READ_ERRORS}, tags=["timetable"])
    def get(self, request, school_slug, pk):
        return Response(SlotOutput(scoped_get(_all_slots(self.school), pk)).data)

    @extend_schema(
        request=SlotPatchInput,
        responses={200: SlotOutput, **CLASH_ERRORS},
        tags=["timetable"],
        description="Change a lesson: move it, assign or remove its teacher, change its room or seats.",
    )
    def patch(self, request, school_slug, pk):
        slot = scoped_get(_all_slots(self.school), pk)
        data = SlotPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        with api_field_names():
            services.slot_update(slot=slot, actor=request.user, **_resolve(self.school, data.validated_data))
        return Response(SlotOutput(_all_slots(self.school).get(pk=slot.pk)).data)

    @extend_schema(
        request=None,
        responses={204: None, **CLASH_ERRORS},
        tags=["timetable"],
        description="Delete a lesson; refused (409 `slot_in_use`) while seats in it are taken.",
    )
    def delete(self, request, school_slug, pk):
        slot = scoped_get(_all_slots(self.school), pk)
        services.slot_delete(slot=slot, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotConflictsApi(SchoolApiView):
    read_perm = READ
    # Writes nothing: anyone who reads the timetable may ask whether a lesson would fit.
    write_perm = READ

    @extend_schema(
        request=SlotCheckInput,
        responses={200: ConflictsOutput, **ERRORS},
        tags=["timetable"],
        description="What a lesson at this time would clash with, without saving it.",
    )
    def post(self, request, school_slug):
        data = SlotCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = _resolve(self.school, data.validated_data)
        exclude = _in_school(
            ScheduleSlot.objects.for_school(self.school), values.pop("exclude_slot_id", None), "exclude_slot_id"
        )
        conflicts = services.slot_conflicts(school=self.school, exclude_slot=exclude, **values)
        body = {"conflicts": [{"kind": c.kind, "message": c.message, "slot_id": c.slot_id} for c in conflicts]}
        return Response(ConflictsOutput(body).data)
