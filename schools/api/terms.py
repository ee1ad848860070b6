"""API: /api/v1/schools/<slug>/terms/."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import DateField, IdField, IdFilter
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import Term
from .common import validated


class TermOutput(serializers.ModelSerializer):
    session = serializers.CharField(source="session.name")

    class Meta:
        model = Term
        fields = ["id", "name", "session", "session_id", "start_date", "end_date", "is_current"]


class TermInput(serializers.Serializer):
    session_id = IdField()
    name = serializers.CharField(max_length=40)
    start_date = DateField()
    end_date = DateField()
    is_current = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end <= start:
            raise serializers.ValidationError({"end_date": ["The end date must be after the start date."]})
        return attrs


class TermFilter(django_filters.FilterSet):
    is_current = django_filters.BooleanFilter()
    session = IdFilter(field_name="session_id")

    class Meta:
        model = Term
        fields = ["is_current"]


class TermListApi(SchoolApiView):
    write_perm = "school.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = TermFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = TermFilter

    @extend_schema(responses={200: TermOutput(many=True), **READ_ERRORS}, filters=True, tags=["terms"])
    def get(self, request, school_slug):
        queryset = self.school.terms.select_related("session").order_by("-start_date", "id")
        return paginated(self, queryset, TermOutput, TermFilter)

    @extend_schema(request=TermInput, responses={201: TermOutput, **ERRORS}, tags=["terms"])
    def post(self, request, school_slug):
        data = validated(TermInput, request.data)
        session = self.school.sessions.filter(pk=data.pop("session_id")).first()
        if session is None:
            raise serializers.ValidationError({"session_id": ["No such academic session."]})
        term = services.term_create(school=self.school, actor=request.user, session=session, **data)
        return Response(TermOutput(term).data, status=status.HTTP_201_CREATED)


class TermDetailApi(SchoolApiView):
    write_perm = "school.manage"

    @extend_schema(responses={200: TermOutput, **READ_ERRORS}, tags=["terms"])
    def get(self, request, school_slug, pk):
        return Response(TermOutput(scoped_get(self.school.terms.select_related("session"), pk)).data)

    @extend_schema(request=TermInput(partial=True), responses={200: TermOutput, **ERRORS}, tags=["terms"])
    def patch(self, request, school_slug, pk):
        term = scoped_get(self.school.terms.select_related("session"), pk)
        data = validated(TermInput, request.data, partial=True)
        data.pop("session_id", None)
        term = services.term_update(term=term, actor=request.user, **data)
        return Response(TermOutput(term).data)
