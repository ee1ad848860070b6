"""The school's active absence codes."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from classpoint.api.base import READ_ERRORS
from classpoint.api.pagination import Pagination
from classpoint.api.views import SchoolApiView

from ..attendance.codes import codes_for
from .common import RECORD, TAGS, Kind


class CodeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    key = serializers.CharField(help_text="The register page's keyboard key for it; empty: none.")
    counts_as_present = serializers.BooleanField(help_text="Counts as a day at school for the rate.")


class CodeListApi(SchoolApiView):
    read_perm = RECORD

    @extend_schema(
        responses={200: CodeOutput(many=True), **READ_ERRORS},
        tags=TAGS,
        description="The school's active absence codes, in the register page's order.",
    )
    def get(self, request, school_slug):
        paginator = Pagination()
        page = paginator.paginate_queryset(codes_for(self.school), request, view=self)
        return paginator.get_paginated_response(CodeOutput(page, many=True).data)
