"""API: /api/v1/schools/<slug>/families/<guardian_id>/credit/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import READ_ERRORS, scoped_get
from classpoint.api.views import SchoolApiView

from ..credit import credit_balance, credit_entries
from ..models import CreditEntry


class CreditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = CreditEntry
        fields = ["id", "kind", "amount_minor", "student_id", "invoice_id", "note", "created_at"]


class FamilyCreditOutput(serializers.Serializer):
    guardian_id = serializers.IntegerField()
    currency = serializers.CharField()
    balance_minor = serializers.IntegerField(help_text="Held for the family; used on its next invoice.")
    entries = CreditEntryOutput(many=True, help_text="The latest 100 ledger entries, newest first.")


class FamilyCreditApi(SchoolApiView):
    read_perm = "fees.view"

    @extend_schema(responses={200: FamilyCreditOutput, **READ_ERRORS}, tags=["awards"])
    def get(self, request, school_slug, guardian_id):
        guardian = scoped_get(self.school.guardians, guardian_id)
        ledger = credit_entries(school=self.school, guardian_id=guardian.pk, student_id=None).order_by(
            "-created_at", "-id"
        )
        return Response(
            FamilyCreditOutput(
                {
                    "guardian_id": guardian.pk,
                    "currency": self.school.currency,
                    "entries": ledger[:100],
                    "balance_minor": credit_balance(school=self.school, guardian_id=guardian.pk, student_id=None),
                }
            ).data
        )
