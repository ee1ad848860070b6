"""API: /api/v1/schools/<slug>/fee-items/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import FeeItem


class FeeItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeItem
        fields = ["id", "code", "name", "category", "default_amount_minor", "is_active"]
        read_only_fields = ["id", "is_active"]


class FeeItemListApi(SchoolApiView):
    read_perm = "fees.view"
    write_perm = "fees.manage"

    @extend_schema(responses={200: FeeItemSerializer(many=True), **READ_ERRORS}, tags=["fees"])
    def get(self, request, school_slug):
        return paginated(
            self, FeeItem.objects.for_school(self.school).order_by("category", "name", "id"), FeeItemSerializer
        )

    @extend_schema(request=FeeItemSerializer, responses={201: FeeItemSerializer, **ERRORS}, tags=["fees"])
    def post(self, request, school_slug):
        data = FeeItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.fee_item_create(school=self.school, actor=request.user, **data.validated_data)
        return Response(FeeItemSerializer(item).data, status=status.HTTP_201_CREATED)
