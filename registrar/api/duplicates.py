"""API: duplicates/ (open possible duplicates) and duplicates/<id>/resolve/ (merge or dismiss)."""

from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import OPEN_STATUSES, DuplicateFlag
from .common import PERM, valid
from .outputs import DuplicateFlagOutput


def _flags(school):
    return DuplicateFlag.objects.for_school(school).select_related("application", "other_application", "student")


class DuplicateListApi(SchoolApiView):
    read_perm = PERM

    @extend_schema(
        responses={200: DuplicateFlagOutput(many=True), **READ_ERRORS},
        tags=["applications"],
        description="Open possible duplicates of open applications, newest first.",
    )
    def get(self, request, school_slug):
        queryset = _flags(self.school).filter(status=DuplicateFlag.Status.OPEN, application__status__in=OPEN_STATUSES)
        return paginated(self, queryset.order_by("-created_at", "-id"), DuplicateFlagOutput)


class ResolveAction(models.TextChoices):
    MERGE = "merge", "Merge"
    DISMISS = "dismiss", "Dismiss"


class ResolveInput(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=ResolveAction.choices,
        help_text="merge: withdraw this application into the other one (or the student); dismiss: not the same child.",
    )


class DuplicateResolveApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(request=ResolveInput, responses={200: DuplicateFlagOutput, **ERRORS}, tags=["applications"])
    def post(self, request, school_slug, pk):
        flag = scoped_get(_flags(self.school), pk)
        v = valid(ResolveInput, request.data)
        flag = services.duplicate_resolve(flag=flag, actor=request.user, action=v["action"])
        return Response(DuplicateFlagOutput(_flags(self.school).get(pk=flag.pk)).data)
