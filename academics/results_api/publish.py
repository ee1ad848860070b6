"""API: publishing results under /api/v1/schools/<slug>/results/publish/.

POST publishes one class group's results for a term, or every class group with pupils that term;
while scores are missing it answers 409 `results_missing` with each gap in `fields.missing`, unless
the body gives `force_reason`. GET `status/?term=` is the publish page's overview. Both need
`academics.publish_results`; a term or class group of another school is a 404 like a missing one.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, ErrorSerializer, validated
from classpoint.api.fields import IdField
from classpoint.api.views import SchoolApiView

from ..attendance_api.common import ClassGroupRef
from ..errors import AcademicsError, AcademicsErrorCode
from ..results.publishing import MAX_REASON, publish_status, result_publish

PUBLISH = "academics.publish_results"
TAGS = ["results"]


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


class ResultsTermRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__", help_text="The term and its session (First term 2026/2027).")


class ResultsPublishInput(serializers.Serializer):
    term = IdField(help_text="The term to publish.")
    class_group = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="One class group; absent or null: every class group with pupils that term.",
    )
    force_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_REASON,
        help_text="Publish although scores are missing, for this reason (kept on each card published).",
    )


class ResultsPublishStatusQuery(serializers.Serializer):
    term = IdField(required=False, help_text="A term's id; absent: the current term.")


class ResultsPublishClassOutput(serializers.Serializer):
    class_group = ClassGroupRef()
    pupils = serializers.IntegerField()
    published = serializers.IntegerField(help_text="Cards that reached the family now (RESULT_READY).")
    updated = serializers.IntegerField(help_text="Cards published before and changed since (RESULT_UPDATED).")
    unchanged = serializers.IntegerField(help_text="Cards published before and unchanged: nobody is told again.")
    withheld = serializers.IntegerField(help_text="Cards held while the family owes more than the school allows.")
    missing = serializers.IntegerField(help_text="Pupils' subjects with scores missing, published anyway.")
    locked_now = serializers.BooleanField(help_text="Whether this publish locked the class's scores.")


class ResultsPublishOutput(serializers.Serializer):
    term = ResultsTermRef()
    forced_reason = serializers.CharField(help_text="The reason scores were published missing; empty if none were.")
    classes = ResultsPublishClassOutput(many=True)


class ResultsPublishStateOutput(serializers.Serializer):
    class_group = ClassGroupRef()
    pupils = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="Pupils' subjects with scores missing.")
    locked = serializers.BooleanField()
    locked_at = serializers.DateTimeField(allow_null=True)
    published = serializers.IntegerField(help_text="Cards released to families.")
    withheld = serializers.IntegerField()
    last_published_at = serializers.DateTimeField(allow_null=True)


class ResultsPublishStatusOutput(serializers.Serializer):
    term = ResultsTermRef()
    classes = ResultsPublishStateOutput(many=True)


def _not_found(error):
    # As for an id that does not exist, whichever school the id belongs to.
    error.status_code = status.HTTP_404_NOT_FOUND
    return error


def _term_not_found():
    return _not_found(
        AcademicsError(
            "Not found.", code=AcademicsErrorCode.TERM_NOT_FOUND, fields={"term": ["No such term in this school."]}
        )
    )


def _term(school, pk):
    term = school.terms.select_related("session").filter(pk=pk).first() if pk else None
    if term is None:
        raise _term_not_found()
    return term


class ResultsPublishApi(SchoolApiView):
    read_perm = PUBLISH
    write_perm = PUBLISH

    @extend_schema(
        request=ResultsPublishInput,
        responses={
            200: ResultsPublishOutput,
            400: _error("Invalid input: `invalid` or `results_invalid` (`force_reason` too long), named in `fields`."),
            403: ERRORS[403],
            404: _error("`term_not_found` or `class_group_not_found`: none such in this school."),
            409: _error(
                "`results_missing`: scores are missing and no `force_reason` was given; `fields.missing` names "
                "each gap (class, subject, pupil, assessments); or an Idempotency-Key reused with another body."
            ),
        },
        tags=TAGS,
        description="Publish a term's results: locks each class's scores, records each card as published and "
        "tells families once (ready, withheld while owing, or updated after an amendment). Publishing again "
        "changes nothing for a card whose figures did not change.",
    )
    def post(self, request, school_slug):
        data = validated(ResultsPublishInput, request.data)
        term = _term(self.school, data["term"])
        group = None
        if data["class_group"] is not None:
            group = self.school.class_groups.filter(pk=data["class_group"]).first()
            if group is None:
                raise _not_found(
                    AcademicsError(
                        "Not found.",
                        code=AcademicsErrorCode.CLASS_GROUP_NOT_FOUND,
                        fields={"class_group": ["No such class group in this school."]},
                    )
                )
        outcome = result_publish(
            school=self.school, actor=request.user, term=term, class_group=group, force_reason=data["force_reason"]
        )
        return Response(ResultsPublishOutput(outcome).data)


class ResultsPublishStatusApi(SchoolApiView):
    read_perm = PUBLISH

    @extend_schema(
        parameters=[ResultsPublishStatusQuery],
        responses={
            200: ResultsPublishStatusOutput,
            400: ERRORS[400],
            403: ERRORS[403],
            404: _error("`term_not_found`: no such term in this school (or no current term)."),
        },
        tags=TAGS,
        description="Each class group with pupils in the term: scores missing, locked, cards published and "
        "withheld, last published.",
    )
    def get(self, request, school_slug):
        query = validated(ResultsPublishStatusQuery, request.query_params)
        term = _term(self.school, query["term"]) if "term" in query else self.school.current_term()
        if term is None:
            raise _term_not_found()
        states = publish_status(school=self.school, term=term)
        return Response(ResultsPublishStatusOutput({"term": term, "classes": states}).data)
