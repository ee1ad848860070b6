"""API: results set-up under /api/v1/schools/<slug>/results/: subjects, subject teachers (by hand
or from the timetable), a term's assessment components, grade scales, the results policy and the
comment bank. Everything here needs `academics.manage_results`.

A subject, term, class group, teacher, scale or comment of another school is a 404, as for an id
that does not exist. Bad input changes nothing: `invalid` (the body's shape) or `results_invalid`
(what the set-up refuses: a duplicate subject, weights not adding up to 100, a grade scale with a
gap...), each bad field named in `fields`.
"""

import django_filters
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from classpoint.api.base import ErrorSerializer, paginated, scoped_get, validated
from classpoint.api.fields import IdFilter
from classpoint.api.views import SchoolApiView

from ..errors import AcademicsError, AcademicsErrorCode
from ..models import AssessmentComponent, CommentBank, GradeBand, GradeScale, ResultsLock, Subject, SubjectTeacher
from ..results.policy import policy_for
from ..results.setup import (
    components_set,
    subject_create,
    subject_retire,
    subject_teacher_set,
    subject_teachers_from_timetable,
    subject_update,
)
from ..results.setup_grading import (
    comment_bank,
    comment_bank_add,
    comment_bank_remove,
    grade_scale_from_preset,
    grade_scale_save,
    results_policy_update,
)
from . import setup_serializers as s

MANAGE = "academics.manage_results"
TAGS = ["results set-up"]
NOT_HERE = "Not found in this school."


def _error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


INVALID = _error("`invalid` (the body's shape) or `results_invalid` (what the set-up refuses), named in `fields`.")


class SetupApiView(SchoolApiView):
    read_perm = MANAGE
    write_perm = MANAGE


def _missing(field):
    """A body's id of no row of this school: a 404 naming the field, as for a path's id."""
    if field == "term":
        error = AcademicsError(NOT_HERE, code=AcademicsErrorCode.TERM_NOT_FOUND, fields={field: [NOT_HERE]})
    elif field == "class_group":
        error = AcademicsError(NOT_HERE, code=AcademicsErrorCode.CLASS_GROUP_NOT_FOUND, fields={field: [NOT_HERE]})
    elif field == "subject":
        error = AcademicsError(NOT_HERE, code=AcademicsErrorCode.SUBJECT_NOT_FOUND, fields={field: [NOT_HERE]})
    else:
        error = AcademicsError(NOT_HERE, code=AcademicsErrorCode.TEACHER_NOT_FOUND, fields={field: [NOT_HERE]})
    error.status_code = status.HTTP_404_NOT_FOUND
    return error


def _row(queryset, pk, field):
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise _missing(field)
    return row


# --- Subjects --------------------------------------------------------------------------------------


class SubjectFilter(django_filters.FilterSet):
    level = django_filters.CharFilter(max_length=40)

    class Meta:
        model = Subject
        fields = []


def _subjects(school):
    return Subject.objects.for_school(school).order_by("level", "position", "name", "id")


class SubjectListApi(SetupApiView):
    queryset = Subject.objects.none()  # the schema generator's, for the filters
    filter_backends = [DjangoFilterBackend]
    filterset_class = SubjectFilter

    @extend_schema(
        responses={200: s.SubjectOutput(many=True)},
        filters=True,
        tags=TAGS,
        description="The school's subjects (retired ones too) by level, then report-card order.",
    )
    def get(self, request, school_slug):
        return paginated(self, _subjects(self.school), s.SubjectOutput, SubjectFilter)

    @extend_schema(request=s.SubjectInput, responses={201: s.SubjectOutput, 400: INVALID}, tags=TAGS)
    def post(self, request, school_slug):
        data = validated(s.SubjectInput, request.data)
        subject = subject_create(school=self.school, actor=request.user, **data)
        return Response(s.SubjectOutput(subject).data, status=status.HTTP_201_CREATED)


class SubjectDetailApi(SetupApiView):
    @extend_schema(responses={200: s.SubjectOutput}, tags=TAGS)
    def get(self, request, school_slug, pk):
        return Response(s.SubjectOutput(scoped_get(_subjects(self.school), pk)).data)

    @extend_schema(
        request=s.SubjectPatchInput,
        responses={200: s.SubjectOutput, 400: INVALID},
        tags=TAGS,
        description="Change the fields sent. A subject moved to another level loses its subject teachers.",
    )
    def patch(self, request, school_slug, pk):
        subject = scoped_get(_subjects(self.school), pk)
        data = validated(s.SubjectPatchInput, request.data, partial=True)
        subject = subject_update(school=self.school, actor=request.user, subject=subject, **data)
        return Response(s.SubjectOutput(subject).data)

    @extend_schema(
        responses={200: s.SubjectRetireOutput},
        tags=TAGS,
        description="Retire the subject: deleted when nothing was scored in it, else kept inactive with its scores.",
    )
    def delete(self, request, school_slug, pk):
        subject = scoped_get(_subjects(self.school), pk)
        outcome = subject_retire(school=self.school, actor=request.user, subject=subject)
        return Response({"id": int(pk), "deleted": outcome == "deleted", "is_active": False})


# --- Subject teachers ------------------------------------------------------------------------------


class SubjectTeacherFilter(django_filters.FilterSet):
    term = IdFilter(field_name="term_id")
    class_group = IdFilter(field_name="class_group_id")

    class Meta:
        model = SubjectTeacher
        fields = []


class SubjectTeacherListApi(SetupApiView):
    queryset = SubjectTeacher.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = SubjectTeacherFilter

    @extend_schema(
        responses={200: s.SubjectTeacherOutput(many=True)},
        filters=True,
        tags=TAGS,
        description="Who teaches which subject to which class group, by term, class group and subject.",
    )
    def get(self, request, school_slug):
        rows = (
            SubjectTeacher.objects.for_school(self.school)
            .select_related("class_group", "subject", "teacher")
            .order_by("term_id", "class_group__name", "subject__position", "subject__name", "id")
        )
        return paginated(self, rows, s.SubjectTeacherOutput, SubjectTeacherFilter)

    @extend_schema(
        request=s.SubjectTeacherInput,
        responses={
            200: s.SubjectTeacherOutput,
            400: INVALID,
            404: _error("`term_not_found`, `class_group_not_found`, `subject_not_found` or `teacher_not_found`."),
        },
        tags=TAGS,
        description="Name the teacher of a subject in a class group for a term, replacing whoever was named "
        "(teacher null: nobody).",
    )
    def post(self, request, school_slug):
        data = validated(s.SubjectTeacherInput, request.data)
        school = self.school
        term = _row(school.terms, data["term"], "term")
        group = _row(school.class_groups, data["class_group"], "class_group")
        subject = _row(Subject.objects.for_school(school), data["subject"], "subject")
        teacher = _row(school.staff, data["teacher"], "teacher") if data["teacher"] is not None else None
        subject_teacher_set(
            school=school, actor=request.user, term=term, class_group=group, subject=subject, teacher=teacher
        )
        row = SubjectTeacher(school=school, term=term, class_group=group, subject=subject, teacher=None)
        found = SubjectTeacher.objects.for_school(school).filter(term=term, class_group=group, subject=subject)
        return Response(s.SubjectTeacherOutput(found.select_related("teacher").first() or row).data)


class SubjectTeachersFromTimetableApi(SetupApiView):
    @extend_schema(
        request=s.TimetableFillInput,
        responses={200: s.TimetableFillOutput, 400: INVALID, 404: _error("`term_not_found`.")},
        tags=TAGS,
        description="Name each class's subject teachers from the term's timetable where none is named yet: a "
        "lesson's subject matches a subject of the class's level by name, in any case.",
    )
    def post(self, request, school_slug):
        term = _row(self.school.terms, validated(s.TimetableFillInput, request.data)["term"], "term")
        result = subject_teachers_from_timetable(school=self.school, actor=request.user, term=term)
        return Response(s.TimetableFillOutput(result).data)


# --- Assessment components -------------------------------------------------------------------------


def _components(school, term):
    components = list(AssessmentComponent.objects.for_school(school).filter(term=term).order_by("position", "id"))
    return {
        "term": term,
        "locked": ResultsLock.objects.for_school(school).filter(term=term).exists(),
        "weight_total": sum((c.weight for c in components), 0),
        "components": components,
    }


class ComponentsApi(SetupApiView):
    @extend_schema(responses={200: s.TermComponentsOutput}, tags=TAGS)
    def get(self, request, school_slug, term_id):
        term = scoped_get(self.school.terms, term_id)
        return Response(s.TermComponentsOutput(_components(self.school, term)).data)

    @extend_schema(
        request=s.TermComponentsInput,
        responses={
            200: s.TermComponentsOutput,
            400: INVALID,
            409: _error(
                "`component_in_use` (a component with scores left out, or its maximum below a score entered) or "
                "`results_locked` (a class group's results for the term are locked)."
            ),
        },
        tags=TAGS,
        description="Replace the term's components: the weights add up to exactly 100 and the names differ. "
        "Sending the set unchanged changes nothing.",
    )
    def put(self, request, school_slug, term_id):
        term = scoped_get(self.school.terms, term_id)
        data = validated(s.TermComponentsInput, request.data)
        components_set(school=self.school, actor=request.user, term=term, components=data["components"])
        return Response(s.TermComponentsOutput(_components(self.school, term)).data)


# --- Grade scales ----------------------------------------------------------------------------------


def _scales(school):
    in_use = ExpressionWrapper(Q(pk=policy_for(school).grade_scale_id), output_field=BooleanField())
    bands = Prefetch("bands", queryset=GradeBand.objects.for_school(school).order_by("-min_score"))
    return GradeScale.objects.for_school(school).annotate(in_use=in_use).prefetch_related(bands).order_by("name", "id")


class GradeScaleListApi(SetupApiView):
    @extend_schema(responses={200: s.GradeScaleOutput(many=True)}, tags=TAGS)
    def get(self, request, school_slug):
        return paginated(self, _scales(self.school), s.GradeScaleOutput)

    @extend_schema(
        request=s.GradeScaleInput,
        responses={201: s.GradeScaleOutput, 400: INVALID},
        tags=TAGS,
        description="Create a scale from `name` and `bands` (the bands of the school's scale of that name are "
        "replaced), or copy a `preset`. `use` makes it the school's scale.",
    )
    def post(self, request, school_slug):
        data = validated(s.GradeScaleInput, request.data)
        if "preset" in data:
            scale = grade_scale_from_preset(school=self.school, actor=request.user, preset=data["preset"])
        else:
            scale = grade_scale_save(school=self.school, actor=request.user, name=data["name"], bands=data["bands"])
        if data["use"]:
            results_policy_update(school=self.school, actor=request.user, grade_scale=scale)
        body = s.GradeScaleOutput(_scales(self.school).get(pk=scale.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class GradeScaleDetailApi(SetupApiView):
    @extend_schema(responses={200: s.GradeScaleOutput}, tags=TAGS)
    def get(self, request, school_slug, pk):
        return Response(s.GradeScaleOutput(scoped_get(_scales(self.school), pk)).data)

    @extend_schema(
        request=s.GradeScalePutInput,
        responses={200: s.GradeScaleOutput, 400: INVALID},
        tags=TAGS,
        description="Replace the scale's bands (and rename it if `name` is sent).",
    )
    def put(self, request, school_slug, pk):
        scale = scoped_get(_scales(self.school), pk)
        data = validated(s.GradeScalePutInput, request.data)
        name = data.get("name", scale.name)
        grade_scale_save(school=self.school, actor=request.user, name=name, bands=data["bands"], scale=scale)
        return Response(s.GradeScaleOutput(_scales(self.school).get(pk=scale.pk)).data)


# --- Policy ----------------------------------------------------------------------------------------


class PolicyApi(SetupApiView):
    @extend_schema(responses={200: s.ResultsPolicyOutput}, tags=TAGS)
    def get(self, request, school_slug):
        return Response(s.ResultsPolicyOutput(policy_for(self.school)).data)

    @extend_schema(
        request=s.ResultsPolicyInput,
        responses={
            200: s.ResultsPolicyOutput,
            400: INVALID,
            404: _error("`grade_scale`: no such scale in this school."),
        },
        tags=TAGS,
        description="Change the settings sent.",
    )
    def patch(self, request, school_slug):
        data = dict(validated(s.ResultsPolicyInput, request.data))
        if "grade_scale" in data:
            data["grade_scale"] = scoped_get(GradeScale.objects.for_school(self.school), data["grade_scale"])
        policy = results_policy_update(school=self.school, actor=request.user, **data)
        return Response(s.ResultsPolicyOutput(policy).data)


# --- Comment bank ----------------------------------------------------------------------------------


class CommentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CommentBank.Kind.choices)

    class Meta:
        model = CommentBank
        fields = []


class CommentBankListApi(SetupApiView):
    queryset = CommentBank.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = CommentFilter

    @extend_schema(
        responses={200: s.CommentBankOutput(many=True)},
        filters=True,
        tags=TAGS,
        description="The comments form teachers and the head pick from (a dozen of each to start with).",
    )
    def get(self, request, school_slug):
        comment_bank(self.school)
        entries = CommentBank.objects.for_school(self.school).order_by("kind", "position", "id")
        return paginated(self, entries, s.CommentBankOutput, CommentFilter)

    @extend_schema(
        request=s.CommentBankInput,
        responses={201: s.CommentBankOutput, 400: _error("`invalid` or `comment_invalid` (the bank has it already).")},
        tags=TAGS,
    )
    def post(self, request, school_slug):
        data = validated(s.CommentBankInput, request.data)
        entry = comment_bank_add(school=self.school, actor=request.user, **data)
        return Response(s.CommentBankOutput(entry).data, status=status.HTTP_201_CREATED)


class CommentBankDetailApi(SetupApiView):
    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, school_slug, pk):
        entry = scoped_get(CommentBank.objects.for_school(self.school), pk)
        comment_bank_remove(school=self.school, actor=request.user, entry=entry)
        return Response(status=status.HTTP_204_NO_CONTENT)
