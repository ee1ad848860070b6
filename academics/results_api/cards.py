"""API: report cards and broadsheets under /api/v1/schools/<slug>/results/.

`report-cards/?term=&class_group=` lists a class's cards in register order (figures, completeness,
publishing); `report-cards/<term_id>/<student_id>/` is one pupil's whole card (GET) and its comments
(PATCH); `.../pdf/` the card as printed; `broadsheets/<term_id>/<class_group_id>/` the class's
broadsheet as JSON, or CSV with `?format=csv`.

Who: a member who manages or publishes results, every class; a teacher who enters scores, the
classes they are form teacher of (others 403). A term, pupil or class of another school is a 404 like
a missing one. Every read of a pupil's card (JSON or PDF) is written to the pupil's access log.
Figures are decimals as strings at one decimal ("75.0"), shown half-up from exact totals.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, scoped_get, validated
from classpoint.api.fields import IdField
from classpoint.api.pagination import Pagination
from classpoint.api.views import SchoolApiView
from classpoint.audit import record_access
from classpoint.csvfile import CONTENT_TYPE, SafeWriter

from ..attendance_api.common import ClassGroupRef, StudentRef, nullable_object
from ..results import broadsheet as sheets
from ..results import card_pdf, cards, comments

TAGS = ["results"]
FIGURE = {"max_digits": 7, "decimal_places": 1, "allow_null": True}


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


class ReportCardTermRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    session = serializers.CharField(source="session.name")


class ReportCardComponentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Percent of the subject total.")


class ReportCardSubjectOutput(serializers.Serializer):
    subject_id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    kind = serializers.CharField(help_text="core or elective.")
    cells = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        help_text="One per component, in `components` order: a score, ABS (absent) or empty (not entered).",
    )
    total = serializers.DecimalField(max_digits=7, decimal_places=1)
    grade = serializers.CharField()
    remark = serializers.CharField()
    position = serializers.IntegerField(allow_null=True, help_text="Null where the school hides subject positions.")
    position_text = serializers.CharField(help_text='"2nd", "1st=" when shared; empty when hidden.')
    class_average = serializers.DecimalField(**FIGURE)
    complete = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField(), help_text="Components left blank.")


class ReportCardAttendanceOutput(serializers.Serializer):
    expected = serializers.IntegerField(help_text="School days on roll this term so far.")
    marked = serializers.IntegerField()
    present = serializers.IntegerField(help_text="Days at school, late days included.")
    absent = serializers.IntegerField()
    late = serializers.IntegerField()
    excused = serializers.IntegerField()


class ReportCardBandOutput(serializers.Serializer):
    letter = serializers.CharField()
    min_score = serializers.DecimalField(max_digits=4, decimal_places=1)
    max_score = serializers.DecimalField(max_digits=4, decimal_places=1)
    remark = serializers.CharField()
    points = serializers.DecimalField(max_digits=4, decimal_places=2)


class ReportCardNextTermRef(serializers.Serializer):
    name = serializers.CharField(source="next_term_name")
    starts = serializers.DateField(source="next_term_starts")


INT = {"type": "integer"}
NullableAttendance = nullable_object(
    ReportCardAttendanceOutput, {k: INT for k in ("expected", "marked", "present", "absent", "late", "excused")}
)
NullableNextTerm = nullable_object(
    ReportCardNextTermRef, {"name": {"type": "string"}, "starts": {"type": "string", "format": "date"}}
)


class ReportCardSummaryOutput(serializers.Serializer):
    student = StudentRef()
    total = serializers.DecimalField(**FIGURE)
    average = serializers.DecimalField(**FIGURE)
    position = serializers.IntegerField(allow_null=True, help_text="As printed: null where the school hides it.")
    position_text = serializers.CharField()
    class_size = serializers.IntegerField()
    complete = serializers.BooleanField()
    missing_count = serializers.IntegerField(help_text="Scores not entered yet.")
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    withheld = serializers.BooleanField()


class ReportCardOutput(ReportCardSummaryOutput):
    class_group = ClassGroupRef()
    term = ReportCardTermRef()
    components = ReportCardComponentOutput(many=True)
    subjects = ReportCardSubjectOutput(many=True, help_text="The subjects the pupil takes, in report order.")
    show_class_position = serializers.BooleanField()
    show_subject_position = serializers.BooleanField()
    attendance = NullableAttendance(help_text="Null: the class's registers were not taken this term.")
    form_teacher_name = serializers.CharField()
    form_teacher_comment = serializers.CharField()
    head_comment = serializers.CharField()
    grade_key = ReportCardBandOutput(many=True)
    next_term = NullableNextTerm(source="*", help_text="The school's next term by start date; null if none.")
    next_term_fees_minor = serializers.IntegerField(help_text="Billed for next term, in minor units (0: nothing).")
    next_term_fees = serializers.CharField(help_text="The same as printed (₦150,000.00); empty when 0.")
    currency = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField(), help_text='"Mathematics: CA2, Exam".')
    revision = serializers.IntegerField()

    def to_representation(self, card):
        data = super().to_representation(card)
        if card.next_term_starts is None:
            data["next_term"] = None
        return data


class ReportCardCommentsInput(serializers.Serializer):
    form_teacher_comment = serializers.CharField(
        required=False, allow_blank=True, max_length=comments.MAX_COMMENT, help_text="The form teacher's."
    )
    head_comment = serializers.CharField(
        required=False, allow_blank=True, max_length=comments.MAX_COMMENT, help_text="The head's."
    )


class ReportCardListQuery(serializers.Serializer):
    term = IdField(required=False, help_text="A term's id; absent: the current term.")
    class_group = IdField(help_text="The class group.")


class BroadsheetRowOutput(serializers.Serializer):
    student = StudentRef()
    totals = serializers.ListField(
        child=serializers.DecimalField(**FIGURE), help_text="One per subject, in `subjects` order; null: not taken."
    )
    total = serializers.DecimalField(**FIGURE)
    average = serializers.DecimalField(**FIGURE)
    position = serializers.IntegerField(allow_null=True)
    position_text = serializers.CharField()
    missing = serializers.IntegerField(help_text="Scores not entered yet.")


class BroadsheetSubjectRef(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    code = serializers.CharField()


class BroadsheetOutput(serializers.Serializer):
    term = ReportCardTermRef()
    class_group = ClassGroupRef()
    subjects = BroadsheetSubjectRef(many=True)
    rows = BroadsheetRowOutput(many=True, help_text="Register order.")
    subject_averages = serializers.ListField(child=serializers.DecimalField(**FIGURE))
    average_total = serializers.DecimalField(**FIGURE)
    average_average = serializers.DecimalField(**FIGURE)


def _see(view, class_group):
    if not cards.may_see_class(membership=view.membership, class_group=class_group):
        raise PermissionDenied("You may see the report cards of your own form classes only.")


def _term(view, term_id):
    return scoped_get(view.school.terms.select_related("session"), term_id)


def _card(view, term_id, student_id):
    term = _term(view, term_id)
    student = scoped_get(view.school.students, student_id)
    group = cards.class_of(school=view.school, term=term, student=student)
    if group is None:
        raise NotFound("The pupil was in no class that term.")
    _see(view, group)
    return term, student


class ReportCardListApi(SchoolApiView):
    read_perm = None

    @extend_schema(
        parameters=[ReportCardListQuery],
        responses={200: ReportCardSummaryOutput(many=True), 400: ERRORS[400], **READ_ERRORS},
        tags=TAGS,
        description="A class's report cards for a term in register order (surname, first name).",
    )
    def get(self, request, school_slug):
        query = validated(ReportCardListQuery, request.query_params)
        if query.get("term"):
            term = _term(self, query["term"])
        else:
            term = self.school.current_term()
            if term is None:
                raise serializers.ValidationError({"term": ["The school has no current term: name one."]})
        group = scoped_get(self.school.class_groups.select_related("form_teacher"), query["class_group"])
        _see(self, group)
        found = cards.class_cards(school=self.school, term=term, class_group=group)
        paginator = Pagination()
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(ReportCardSummaryOutput(page, many=True).data)


class ReportCardDetailApi(SchoolApiView):
    read_perm = None
    pagination_class = None

    @extend_schema(
        responses={200: ReportCardOutput, **READ_ERRORS},
        tags=TAGS,
        description="One pupil's card for a term, as it prints. Recorded in the pupil's access log.",
    )
    def get(self, request, school_slug, term_id, student_id):
        term, student = _card(self, term_id, student_id)
        card = cards.report_card(school=self.school, term=term, student=student)
        record_access(school=self.school, actor=request.user, target=student, via="api")
        return Response(ReportCardOutput(card).data)

    @extend_schema(
        request=ReportCardCommentsInput,
        responses={
            200: ReportCardOutput,
            400: _error("Invalid input: `invalid` or `comment_invalid` (over 500 characters), named in `fields`."),
            403: _error(
                "Your role does not allow this: the form teacher's comment is the form teacher's or a results "
                "manager's; the head's needs `academics.publish_results`."
            ),
            404: ERRORS[404],
            409: ERRORS[409],
        },
        tags=TAGS,
        description="Set the form teacher's and/or the head's comment (an absent field is left as it is; "
        "empty clears it). Answers the card.",
    )
    def patch(self, request, school_slug, term_id, student_id):
        term, student = _card(self, term_id, student_id)
        data = validated(ReportCardCommentsInput, request.data)
        comments.report_card_comment_set(school=self.school, actor=request.user, term=term, student=student, **data)
        card = cards.report_card(school=self.school, term=term, student=student)
        return Response(ReportCardOutput(card).data)


class ReportCardPdfApi(SchoolApiView):
    read_perm = None

    def perform_content_negotiation(self, request, force=False):
        # A PDF whatever the client accepts; errors still go out as JSON, the first renderer.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The card as it prints."),
            **READ_ERRORS,
        },
        tags=TAGS,
        description="One pupil's card as a PDF, rendered on request. Recorded in the pupil's access log.",
    )
    def get(self, request, school_slug, term_id, student_id):
        term, student = _card(self, term_id, student_id)
        body = card_pdf.report_card_pdf(school=self.school, term=term, student=student)
        record_access(school=self.school, actor=request.user, target=student, via="api")
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="report-card-{student.pk}-{term.pk}.pdf"'
        return response


class BroadsheetApi(SchoolApiView):
    read_perm = None
    pagination_class = None

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` is this view's to answer (DRF would look for a CSV renderer and 404); JSON
        # otherwise, and for every error.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the same as a CSV file.")],
        responses={
            (200, "application/json"): BroadsheetOutput,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="One row a pupil, then the averages."),
            **READ_ERRORS,
        },
        tags=TAGS,
        description="A class's broadsheet for a term: each pupil's subject totals, overall total, average and "
        "position (always shown: it is for staff), and the class averages.",
    )
    def get(self, request, school_slug, term_id, class_group_id):
        term = _term(self, term_id)
        group = scoped_get(self.school.class_groups.select_related("form_teacher"), class_group_id)
        _see(self, group)
        sheet = sheets.broadsheet(school=self.school, term=term, class_group=group)
        if request.query_params.get("format") == "csv":
            header, rows = sheets.csv_table(sheet)
            response = HttpResponse(content_type=CONTENT_TYPE)
            writer = SafeWriter(response)
            writer.writerow(header)
            writer.writerows(rows)
            response["Content-Disposition"] = f'attachment; filename="broadsheet-{group.pk}-{term.pk}.csv"'
            return response
        return Response(BroadsheetOutput(sheet).data)
