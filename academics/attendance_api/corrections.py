"""Correcting one mark after the fact, with the reason kept in the audit log."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import scoped_get, validated
from classpoint.api.views import SchoolApiView

from ..attendance.registers import MAX_MINUTES_LATE, MAX_NOTE, mark_correct
from ..models import AttendanceMark
from .common import EDIT_ERRORS, MANAGE, MAX_REASON, TAGS, MarkOutput, school_marks


class CorrectionInput(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="The new code (or its id).")
    minutes_late = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_MINUTES_LATE, help_text="With a late code."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NOTE, help_text="Omitted: the mark keeps its note."
    )
    reason = serializers.CharField(
        allow_blank=True, max_length=MAX_REASON, help_text="Why (a note from home…); blank is `reason_required`."
    )


class MarkCorrectApi(SchoolApiView):
    write_perm = MANAGE

    @extend_schema(
        request=CorrectionInput,
        responses={200: MarkOutput, **EDIT_ERRORS},
        tags=TAGS,
        description="Correct one mark, with the reason kept in the audit log (an attendance officer's).",
    )
    def post(self, request, school_slug, pk):
        # Found before the body is read: another school's mark is a 404 whatever was sent.
        mark = scoped_get(
            AttendanceMark.objects.for_school(self.school).select_related("register__class_group", "register__slot"),
            pk,
        )
        data = validated(CorrectionInput, request.data)
        mark_correct(
            school=self.school,
            mark=mark,
            code=data["code"],
            actor=request.user,
            reason=data["reason"],
            minutes_late=data.get("minutes_late"),
            note=data.get("note"),
        )
        return Response(MarkOutput(school_marks(self.school).get(pk=mark.pk)).data)
