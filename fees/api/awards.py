"""API: /api/v1/schools/<slug>/awards/ (scholarships and waivers: request, approve, reject, revoke)."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get, validated
from classpoint.api.fields import AmountMinorField, IdField, IdFilter
from classpoint.api.views import SchoolApiView

from .. import awards
from ..models import FeeItem, StudentAward
from .common import in_school


class AwardOutput(serializers.ModelSerializer):
    describe = serializers.CharField(read_only=True, help_text="What it is worth, in words.")
    requested_by = serializers.CharField(source="requested_by.get_username", default=None, read_only=True)
    approved_by = serializers.CharField(
        source="approved_by.get_username", default=None, read_only=True, help_text="Who decided (approved or rejected)."
    )

    class Meta:
        model = StudentAward
        fields = [
            "id",
            "student_id",
            "term_id",
            "kind",
            "mode",
            "percent",
            "amount_minor",
            "fee_category",
            "reason",
            "describe",
            "status",
            "requested_by",
            "approved_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class AwardInput(serializers.Serializer):
    student_id = IdField()
    term_id = IdField()
    kind = serializers.ChoiceField(choices=StudentAward.Kind.choices)
    mode = serializers.ChoiceField(choices=StudentAward.Mode.choices)
    percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="For mode `percent`: above 0, at most 100.",
    )
    amount_minor = AmountMinorField(required=False, allow_null=True, help_text="For mode `fixed`.")
    fee_category = serializers.ChoiceField(
        choices=[("", "The whole invoice"), *FeeItem.Category.choices], required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(max_length=300)


class AwardFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=StudentAward.Status.choices)
    student = IdFilter(field_name="student_id")
    term = IdFilter(field_name="term_id")

    class Meta:
        model = StudentAward
        fields = ["status"]


def _awards(school):
    return StudentAward.objects.for_school(school).select_related("school", "requested_by", "approved_by")


class AwardListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = AwardFilter._meta.model.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = AwardFilter

    @extend_schema(responses={200: AwardOutput(many=True), **READ_ERRORS}, filters=True, tags=["awards"])
    def get(self, request, school_slug):
        return paginated(self, _awards(self.school).order_by("-created_at", "-id"), AwardOutput, AwardFilter)

    @extend_schema(
        request=AwardInput,
        responses={201: AwardOutput, **ERRORS},
        tags=["awards"],
        description="Request a scholarship or waiver; another person with `fees.approve_awards` decides.",
    )
    def post(self, request, school_slug):
        v = validated(AwardInput, request.data)
        award = awards.award_request(
            school=self.school,
            actor=request.user,
            kind=v["kind"],
            mode=v["mode"],
            percent=v.get("percent"),
            amount_minor=v.get("amount_minor"),
            fee_category=v.get("fee_category", ""),
            reason=v["reason"],
            student=in_school(self.school.students, v["student_id"], "student_id"),
            term=in_school(self.school.terms, v["term_id"], "term_id"),
        )
        return Response(AwardOutput(_awards(self.school).get(pk=award.pk)).data, status=status.HTTP_201_CREATED)


class AwardDecisionInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to reject or revoke; an optional note to approve.",
    )


class _AwardDecisionApi(SchoolApiView):
    write_perm = "fees.approve_awards"
    decision = None

    def post(self, request, school_slug, pk):
        award = scoped_get(_awards(self.school), pk)
        reason = validated(AwardDecisionInput, request.data)["reason"]
        if self.decision == "approve":
            awards.award_approve(award=award, actor=request.user, note=reason)
        elif self.decision == "reject":
            awards.award_reject(award=award, actor=request.user, reason=reason)
        else:
            awards.award_revoke(award=award, actor=request.user, reason=reason)
        return Response(AwardOutput(_awards(self.school).get(pk=award.pk)).data)


class AwardApproveApi(_AwardDecisionApi):
    decision = "approve"

    @extend_schema(
        request=AwardDecisionInput,
        responses={200: AwardOutput, **ERRORS},
        tags=["awards"],
        description="Approve a pending award (not by its requester). It applies at once to the "
        "student's live invoice of the term; any excess paid becomes credit.",
    )
    def post(self, request, school_slug, pk):
        return super().post(request, school_slug, pk)


class AwardRejectApi(_AwardDecisionApi):
    decision = "reject"

    @extend_schema(request=AwardDecisionInput, responses={200: AwardOutput, **ERRORS}, tags=["awards"])
    def post(self, request, school_slug, pk):
        return super().post(request, school_slug, pk)


class AwardRevokeApi(_AwardDecisionApi):
    decision = "revoke"

    @extend_schema(
        request=AwardDecisionInput,
        responses={200: AwardOutput, **ERRORS},
        tags=["awards"],
        description="Revoke an approved award while no issued invoice carries it.",
    )
    def post(self, request, school_slug, pk):
        return super().post(request, school_slug, pk)
