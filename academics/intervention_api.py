"""API: truancy interventions under /api/v1/schools/<slug>/attendance/interventions/: the list and one
intervention (its counted days, meetings and the kept letter's PDF), what an attendance officer does
with it (send, acknowledge, close, add a meeting) and running the scan.

Everything needs `academics.manage_attendance`. An intervention of another school is a 404, as for an
id that does not exist. An action the intervention's state no longer allows (a letter sent twice) is a
409 `intervention_state` that changes nothing. Reading one intervention shows the pupil's counted
days: the read is in the pupil's access log.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, paginated, scoped_get, validated
from classpoint.api.fields import DateField, IdFilter
from classpoint.api.views import SchoolApiView
from classpoint.audit import record_access
from classpoint.files import download_url

from .attendance_api import StudentRef, nullable_object
from .interventions.letters import letter_filename
from .interventions.scan import interventions_scan
from .interventions.services import intervention_acknowledge, intervention_close, intervention_send, meeting_add
from .models import Intervention, InterventionMeeting

MANAGE = "academics.manage_attendance"
TAGS = ["attendance interventions"]
Kind, State = Intervention.Kind, Intervention.State
# What the services keep (Intervention.note and .outcome, InterventionMeeting's texts).
MAX_NOTE = 300
MAX_OUTCOME = 4000
MAX_ATTENDEE = 200
MAX_ATTENDEES = 50
MAX_MEETING_NOTES = 8000


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


NOT_FOUND = _error("No such intervention (one of another school is not found either).")
STATE_409 = _error(
    "`intervention_state`: the intervention's state does not allow this (`fields.state` says why); nothing "
    "changed. Or an Idempotency-Key reused with another body."
)
ACTION_ERRORS = {403: ERRORS[403], 404: NOT_FOUND, 409: STATE_409}


class PdfLink(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()


NullablePdf = nullable_object(
    PdfLink,
    {"url": {"type": "string", "format": "uri"}, "expires_at": {"type": "string", "format": "date-time"}},
)


def _who(user):
    return (user.get_full_name() or user.get_username()) if user else None


class InterventionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student = StudentRef()
    kind = serializers.ChoiceField(
        choices=Kind.choices, help_text="letter_1 (truant), letter_2, letter_3 (habitual truant), sarb_referral."
    )
    state = serializers.ChoiceField(
        choices=State.choices,
        help_text="draft → sent (a SARB referral: referred) → acknowledged → closed; cancelled: a draft whose "
        "threshold a correction removed.",
    )
    crossed_on = serializers.DateField(help_text="The school day the threshold was crossed.")
    days_count = serializers.SerializerMethodField(help_text="School days counted towards the threshold.")
    created_at = serializers.DateTimeField(help_text="When the scan drafted it.")
    sent_at = serializers.DateTimeField(allow_null=True)
    sent_by = serializers.SerializerMethodField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(help_text="The acknowledgement's note, or why a draft was cancelled.")
    outcome = serializers.CharField(help_text="How it ended (closed ones).")

    @extend_schema_field(serializers.IntegerField())
    def get_days_count(self, intervention):
        return len(intervention.counted_days)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_sent_by(self, intervention):
        return _who(intervention.sent_by)


class InterventionMeetingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    held_on = serializers.DateField()
    attendees = serializers.SerializerMethodField()
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_attendees(self, meeting):
        return meeting.attendees.splitlines()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, meeting):
        return _who(meeting.created_by)


class InterventionDetailOutput(InterventionOutput):
    counted_days = serializers.ListField(child=serializers.DateField(), help_text="The days counted, oldest first.")
    subject = serializers.CharField(help_text="The letter as sent (empty until it is sent, and for a SARB referral).")
    body = serializers.CharField(help_text="The letter's text as sent; paragraphs separated by a blank line.")
    pdf = NullablePdf(source="pdf_link", help_text="A short-lived link to the kept PDF; null until a letter is sent.")
    meetings = InterventionMeetingOutput(many=True, source="meeting_rows", help_text="By date held.")


class InterventionAcknowledgeInput(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_NOTE,
        default="",
        help_text="How the family acknowledged it (the slip returned, a call).",
    )


class InterventionCloseInput(serializers.Serializer):
    outcome = serializers.CharField(
        allow_blank=True,
        max_length=MAX_OUTCOME,
        help_text="What was agreed or decided; blank is `outcome_required`.",
    )


class InterventionMeetingInput(serializers.Serializer):
    held_on = DateField(help_text="The day it took place: today or earlier.")
    attendees = serializers.ListField(
        child=serializers.CharField(max_length=MAX_ATTENDEE),
        max_length=MAX_ATTENDEES,
        help_text='Who attended, with their part: ["Mrs Bello (mother)", "Mr Okafor (attendance officer)"].',
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_MEETING_NOTES, default="")


class InterventionScanInput(serializers.Serializer):
    date = DateField(required=False, help_text="Count registers up to this day; default: the school's today.")

    def validate_date(self, value):
        today = self.context["school"].local_today()
        if value > today:
            raise serializers.ValidationError("The scan counts days that have come: choose today or earlier.")
        return value


class InterventionScanCreatedOutput(serializers.Serializer):
    letter_1 = serializers.IntegerField()
    letter_2 = serializers.IntegerField()
    letter_3 = serializers.IntegerField()
    sarb_referral = serializers.IntegerField()


class InterventionScanOutput(serializers.Serializer):
    date = serializers.DateField(help_text="The day the scan counted up to.")
    created = InterventionScanCreatedOutput(help_text="Interventions drafted, by kind.")
    cancelled = serializers.IntegerField(help_text="Drafts cancelled: corrections left them short of their days.")


class InterventionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=State.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    student = IdFilter(field_name="student_id")

    class Meta:
        model = Intervention
        fields = []


def _interventions(school):
    return Intervention.objects.for_school(school).select_related("student", "sent_by").order_by("-created_at", "-id")


def _detail(request, school, intervention):
    """The detail body; the read of the pupil's counted days goes into their access log."""
    record_access(school=school, actor=request.user, target=intervention.student, via="api")
    intervention.meeting_rows = list(
        InterventionMeeting.objects.for_school(school)
        .filter(intervention=intervention)
        .select_related("created_by")
        .order_by("held_on", "id")
    )
    intervention.pdf_link = None
    if intervention.pdf:
        url, expires_at = download_url(intervention.pdf.name, filename=letter_filename(intervention))
        intervention.pdf_link = {"url": url, "expires_at": expires_at}
    return Response(InterventionDetailOutput(intervention).data)


def _found(school, pk):
    return scoped_get(_interventions(school), pk)


def _reloaded(request, school, pk):
    return _detail(request, school, _interventions(school).get(pk=pk))


def _act(view, request, pk, service, body=None):
    """`service` on the school's intervention `pk` (another school's is a 404, before the body is read),
    with the fields of the `body` serializer as its arguments; the answer is the intervention as it is now."""
    intervention = _found(view.school, pk)
    arguments = validated(body, request.data) if body else {}
    service(school=view.school, intervention_id=intervention.pk, actor=request.user, **arguments)
    return _reloaded(request, view.school, intervention.pk)


class InterventionListApi(SchoolApiView):
    read_perm = MANAGE
    # Read by the schema generator only (filter parameters); requests go through `paginated`.
    queryset = Intervention.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = InterventionFilter

    @extend_schema(
        responses={200: InterventionOutput(many=True), 400: ERRORS[400], **READ_ERRORS},
        filters=True,
        tags=TAGS,
        description="Interventions, newest drafted first (the id breaks ties); `state`, `kind` and `student` narrow "
        "them.",
    )
    def get(self, request, school_slug):
        return paginated(self, _interventions(self.school), InterventionOutput, InterventionFilter)


class InterventionDetailApi(SchoolApiView):
    read_perm = MANAGE

    @extend_schema(
        responses={200: InterventionDetailOutput, 403: ERRORS[403], 404: NOT_FOUND},
        tags=TAGS,
        description="One intervention with the days it counted, its meetings and, once a letter is sent, the "
        "letter as sent and a short-lived link to its PDF. The read is in the pupil's access log.",
    )
    def get(self, request, school_slug, pk):
        return _detail(request, self.school, _found(self.school, pk))


class InterventionSendApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=None,
        responses={200: InterventionDetailOutput, 400: ERRORS[400], **ACTION_ERRORS},
        tags=TAGS,
        description="Send a draft: a letter is rendered in the school's wording, kept with its PDF and sent to "
        "each guardian (an email with the link, an SMS notice); a SARB referral is marked referred.",
    )
    def post(self, request, school_slug, pk):
        return _act(self, request, pk, intervention_send)


class InterventionAcknowledgeApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=InterventionAcknowledgeInput,
        responses={200: InterventionDetailOutput, 400: ERRORS[400], **ACTION_ERRORS},
        tags=TAGS,
        description="The family acknowledged a sent letter or referral.",
    )
    def post(self, request, school_slug, pk):
        return _act(self, request, pk, intervention_acknowledge, InterventionAcknowledgeInput)


class InterventionCloseApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=InterventionCloseInput,
        responses={
            200: InterventionDetailOutput,
            400: _error("Invalid input: `invalid` (the body's shape) or `outcome_required`."),
            **ACTION_ERRORS,
        },
        tags=TAGS,
        description="Close a draft, a sent or an acknowledged intervention with its outcome.",
    )
    def post(self, request, school_slug, pk):
        return _act(self, request, pk, intervention_close, InterventionCloseInput)


class InterventionMeetingApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=InterventionMeetingInput,
        responses={
            201: InterventionMeetingOutput,
            400: _error(
                "Invalid input: `invalid` (the body's shape) or `meeting_invalid` (a day that has not come, no "
                "attendee, or a cancelled intervention; `fields` say which)."
            ),
            403: ERRORS[403],
            404: NOT_FOUND,
            409: ERRORS[409],
        },
        tags=TAGS,
        description="Record a meeting of the case (a SARB hearing, a conference with the family).",
    )
    def post(self, request, school_slug, pk):
        intervention = _found(self.school, pk)
        data = validated(InterventionMeetingInput, request.data)
        meeting = meeting_add(
            school=self.school,
            intervention_id=intervention.pk,
            actor=request.user,
            held_on=data["held_on"],
            # One attendee a line: a line break inside a name would make two.
            attendees="\n".join(" ".join(name.split()) for name in data["attendees"]),
            notes=data["notes"],
        )
        return Response(InterventionMeetingOutput(meeting).data, status=201)


class InterventionScanApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=InterventionScanInput,
        responses={200: InterventionScanOutput, 400: ERRORS[400], 403: ERRORS[403], 409: ERRORS[409]},
        tags=TAGS,
        description="Run the interventions scan now (it also runs every morning): draft what the year's unexcused "
        "days call for up to `date`, once per pupil and threshold, and cancel drafts corrections undid. Running it "
        "again drafts nothing twice.",
    )
    def post(self, request, school_slug):
        data = validated(InterventionScanInput, request.data, context={"school": self.school})
        date = data.get("date") or self.school.local_today()
        result = interventions_scan(school=self.school, date=date, actor=request.user)
        created = {kind: result["created"].get(kind, 0) for kind in Kind.values}
        return Response(
            InterventionScanOutput({"date": date, "created": created, "cancelled": result["cancelled"]}).data
        )
