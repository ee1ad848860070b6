"""API: /api/v1/schools/<slug>/guardians/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import IdField, IdFilter
from classpoint.api.views import SchoolApiView
from classpoint.audit import record_access

from .. import services
from ..models import Guardian
from ..phones import normalize_phone
from .common import validated


class GuardianOutput(serializers.ModelSerializer):
    student_ids = serializers.SerializerMethodField()

    class Meta:
        model = Guardian
        fields = [
            "id",
            "first_name",
            "last_name",
            "relationship",
            "phone",
            "email",
            "preferred_channel",
            "student_ids",
            "created_at",
        ]

    def get_student_ids(self, guardian) -> list[int]:
        return [link.student_id for link in guardian.student_links.all()]


class GuardianInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    relationship = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    preferred_channel = serializers.ChoiceField(choices=Guardian.Channel.choices, required=False)
    student_id = IdField(required=False, help_text="Link to this student on create.")
    is_primary = serializers.BooleanField(required=False, default=False)

    def validate_phone(self, value):
        try:
            return normalize_phone(value, self.context["school"].country)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class GuardianFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter()
    email = django_filters.CharFilter(lookup_expr="iexact")
    student = IdFilter(field_name="student_links__student_id")

    class Meta:
        model = Guardian
        fields = ["phone", "email"]


class GuardianListApi(SchoolApiView):
    write_perm = "students.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = GuardianFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = GuardianFilter

    @extend_schema(responses={200: GuardianOutput(many=True), **READ_ERRORS}, filters=True, tags=["guardians"])
    def get(self, request, school_slug):
        queryset = self.school.guardians.prefetch_related("student_links").order_by("last_name", "first_name", "id")
        return paginated(self, queryset, GuardianOutput, GuardianFilter)

    @extend_schema(request=GuardianInput, responses={201: GuardianOutput, **ERRORS}, tags=["guardians"])
    def post(self, request, school_slug):
        data = validated(GuardianInput, request.data, context={"school": self.school})
        student_id = data.pop("student_id", None)
        student = None
        if student_id is not None:
            student = self.school.students.filter(pk=student_id).first()
            if student is None:
                raise serializers.ValidationError({"student_id": ["No such student."]})
        guardian = services.guardian_create(school=self.school, actor=request.user, student=student, **data)
        return Response(GuardianOutput(guardian).data, status=status.HTTP_201_CREATED)


class GuardianDetailApi(SchoolApiView):
    write_perm = "students.manage"

    @extend_schema(responses={200: GuardianOutput, **READ_ERRORS}, tags=["guardians"])
    def get(self, request, school_slug, pk):
        guardian = scoped_get(self.school.guardians.prefetch_related("student_links"), pk)
        record_access(school=self.school, actor=request.user, target=guardian, via="api")
        return Response(GuardianOutput(guardian).data)

    @extend_schema(request=GuardianInput(partial=True), responses={200: GuardianOutput, **ERRORS}, tags=["guardians"])
    def patch(self, request, school_slug, pk):
        guardian = scoped_get(self.school.guardians, pk)
        data = validated(GuardianInput, request.data, partial=True, context={"school": self.school})
        data.pop("student_id", None)
        data.pop("is_primary", None)
        guardian = services.guardian_update(guardian=guardian, actor=request.user, **data)
        return Response(GuardianOutput(guardian).data)
