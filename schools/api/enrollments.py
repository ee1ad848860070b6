"""API: /api/v1/schools/<slug>/enrollments/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import IdField, IdFilter
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import Enrollment
from .common import validated


class EnrollmentOutput(serializers.ModelSerializer):
    class_group = serializers.CharField(source="class_group.name")

    class Meta:
        model = Enrollment
        fields = ["id", "student_id", "term_id", "class_group_id", "class_group", "status", "created_at"]


class EnrollmentInput(serializers.Serializer):
    student_id = IdField()
    term_id = IdField()
    class_group_id = IdField()


class EnrollmentUpdateInput(serializers.Serializer):
    class_group_id = IdField(required=False)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices, required=False)


class EnrollmentFilter(django_filters.FilterSet):
    student = IdFilter(field_name="student_id")
    term = IdFilter(field_name="term_id")
    class_group = IdFilter(field_name="class_group_id")
    status = django_filters.ChoiceFilter(choices=Enrollment.Status.choices)

    class Meta:
        model = Enrollment
        fields = ["status"]


def _scoped_or_field_error(queryset, pk, field):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise serializers.ValidationError({field: ["Not found in this school."]})
    return obj


class EnrollmentListApi(SchoolApiView):
    write_perm = "students.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = EnrollmentFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = EnrollmentFilter

    @extend_schema(responses={200: EnrollmentOutput(many=True), **READ_ERRORS}, filters=True, tags=["enrollments"])
    def get(self, request, school_slug):
        queryset = self.school.enrollments.select_related("class_group").order_by("-created_at", "-id")
        return paginated(self, queryset, EnrollmentOutput, EnrollmentFilter)

    @extend_schema(request=EnrollmentInput, responses={201: EnrollmentOutput, **ERRORS}, tags=["enrollments"])
    def post(self, request, school_slug):
        data = validated(EnrollmentInput, request.data)
        enrollment = services.enrollment_create(
            school=self.school,
            actor=request.user,
            student=_scoped_or_field_error(self.school.students, data["student_id"], "student_id"),
            term=_scoped_or_field_error(self.school.terms, data["term_id"], "term_id"),
            class_group=_scoped_or_field_error(self.school.class_groups, data["class_group_id"], "class_group_id"),
        )
        return Response(EnrollmentOutput(enrollment).data, status=status.HTTP_201_CREATED)


class EnrollmentDetailApi(SchoolApiView):
    write_perm = "students.manage"

    @extend_schema(responses={200: EnrollmentOutput, **READ_ERRORS}, tags=["enrollments"])
    def get(self, request, school_slug, pk):
        return Response(EnrollmentOutput(scoped_get(self.school.enrollments.select_related("class_group"), pk)).data)

    @extend_schema(request=EnrollmentUpdateInput, responses={200: EnrollmentOutput, **ERRORS}, tags=["enrollments"])
    def patch(self, request, school_slug, pk):
        enrollment = scoped_get(self.school.enrollments.select_related("class_group"), pk)
        data = validated(EnrollmentUpdateInput, request.data, partial=True)
        class_group = None
        if "class_group_id" in data:
            class_group = _scoped_or_field_error(self.school.class_groups, data["class_group_id"], "class_group_id")
        enrollment = services.enrollment_update(
            enrollment=enrollment, actor=request.user, class_group=class_group, status=data.get("status")
        )
        return Response(EnrollmentOutput(enrollment).data)
