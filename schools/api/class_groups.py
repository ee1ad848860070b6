"""API: /api/v1/schools/<slug>/class-groups/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import IdField
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import ClassGroup
from ..services.classes import class_group_delete
from .common import validated


class ClassGroupOutput(serializers.ModelSerializer):
    class Meta:
        model = ClassGroup
        fields = ["id", "name", "level", "capacity", "form_teacher_id"]


class ClassGroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    level = serializers.CharField(max_length=40)
    capacity = serializers.IntegerField(min_value=1, max_value=500, required=False)
    form_teacher_id = IdField(required=False, allow_null=True)


class ClassGroupFilter(django_filters.FilterSet):
    level = django_filters.CharFilter()

    class Meta:
        model = ClassGroup
        fields = ["level"]


def _form_teacher(school, data):
    if "form_teacher_id" in data:
        teacher_id = data.pop("form_teacher_id")
        teacher = None
        if teacher_id is not None:
            teacher = school.staff.filter(pk=teacher_id).first()
            if teacher is None:
                raise serializers.ValidationError({"form_teacher_id": ["No such staff member."]})
        data["form_teacher"] = teacher
    return data


class ClassGroupListApi(SchoolApiView):
    write_perm = "school.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = ClassGroupFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClassGroupFilter

    @extend_schema(responses={200: ClassGroupOutput(many=True), **READ_ERRORS}, filters=True, tags=["classes"])
    def get(self, request, school_slug):
        return paginated(
            self, self.school.class_groups.order_by("level", "name", "id"), ClassGroupOutput, ClassGroupFilter
        )

    @extend_schema(request=ClassGroupInput, responses={201: ClassGroupOutput, **ERRORS}, tags=["classes"])
    def post(self, request, school_slug):
        data = _form_teacher(self.school, validated(ClassGroupInput, request.data))
        group = services.class_group_create(school=self.school, actor=request.user, **data)
        return Response(ClassGroupOutput(group).data, status=status.HTTP_201_CREATED)


class ClassGroupDetailApi(SchoolApiView):
    write_perm = "school.manage"

    @extend_schema(responses={200: ClassGroupOutput, **READ_ERRORS}, tags=["classes"])
    def get(self, request, school_slug, pk):
        return Response(ClassGroupOutput(scoped_get(self.school.class_groups, pk)).data)

    @extend_schema(request=ClassGroupInput(partial=True), responses={200: ClassGroupOutput, **ERRORS}, tags=["classes"])
    def patch(self, request, school_slug, pk):
        group = scoped_get(self.school.class_groups, pk)
        data = _form_teacher(self.school, validated(ClassGroupInput, request.data, partial=True))
        group = services.class_group_update(class_group=group, actor=request.user, **data)
        return Response(ClassGroupOutput(group).data)

    @extend_schema(
        request=None,
        responses={204: None, **ERRORS},
        tags=["classes"],
        description="Delete a class group nothing was ever recorded against; refused (400, `class_in_use`) "
        "once it has had enrolments, fees, lessons or placed applicants.",
    )
    def delete(self, request, school_slug, pk):
        class_group_delete(class_group=scoped_get(self.school.class_groups, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
