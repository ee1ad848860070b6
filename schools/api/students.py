"""API: /api/v1/schools/<slug>/students/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import DateField, IsoDateTimeFilter
from classpoint.api.views import SchoolApiView
from classpoint.audit import record_access

from .. import services
from ..models import Student
from .common import validated


class StudentOutput(serializers.ModelSerializer):
    class Meta:
        model = Student
        fields = [
            "id",
            "admission_number",
            "first_name",
            "last_name",
            "other_names",
            "date_of_birth",
            "gender",
            "status",
            "created_at",
            "updated_at",
        ]


class StudentInput(serializers.Serializer):
    admission_number = serializers.CharField(max_length=40)
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    other_names = serializers.CharField(max_length=120, required=False, allow_blank=True)
    date_of_birth = DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Student.Gender.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Student.Status.choices, required=False)


class StudentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or admission number contains")
    status = django_filters.ChoiceFilter(choices=Student.Status.choices)
    admission_number = django_filters.CharFilter()
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Student
        fields = ["status", "admission_number"]

    def search(self, queryset, name, value):
        for word in value.lower().split()[:4]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset


class StudentListApi(SchoolApiView):
    write_perm = "students.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = StudentFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = StudentFilter

    @extend_schema(responses={200: StudentOutput(many=True), **READ_ERRORS}, filters=True, tags=["students"])
    def get(self, request, school_slug):
        queryset = self.school.students.order_by("last_name", "first_name", "id")
        return paginated(self, queryset, StudentOutput, StudentFilter)

    @extend_schema(request=StudentInput, responses={201: StudentOutput, **ERRORS}, tags=["students"])
    def post(self, request, school_slug):
        data = validated(StudentInput, request.data)
        student = services.student_create(school=self.school, actor=request.user, **data)
        return Response(StudentOutput(student).data, status=status.HTTP_201_CREATED)


class StudentDetailApi(SchoolApiView):
    write_perm = "students.manage"

    @extend_schema(responses={200: StudentOutput, **READ_ERRORS}, tags=["students"])
    def get(self, request, school_slug, pk):
        student = scoped_get(self.school.students, pk)
        record_access(school=self.school, actor=request.user, target=student, via="api")
        return Response(StudentOutput(student).data)

    @extend_schema(request=StudentInput(partial=True), responses={200: StudentOutput, **ERRORS}, tags=["students"])
    def patch(self, request, school_slug, pk):
        student = scoped_get(self.school.students, pk)
        data = validated(StudentInput, request.data, partial=True)
        student = services.student_update(student=student, actor=request.user, **data)
        return Response(StudentOutput(student).data)
