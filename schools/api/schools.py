"""API: /api/v1/schools/<slug>/ (the school's own card) and /api/v1/platform/schools/ (list, provision)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated
from classpoint.api.views import ApiView, SchoolApiView
from classpoint.scoping import enter_platform

from .. import services
from ..models import School
from .common import validated


class SchoolOutput(serializers.ModelSerializer):
    primary_domain = serializers.SerializerMethodField()

    class Meta:
        model = School
        fields = ["id", "slug", "name", "status", "timezone", "currency", "country", "primary_domain", "created_at"]

    def get_primary_domain(self, school) -> str:
        domains = list(school.domains.all())
        primary = next((d for d in domains if d.is_primary), None)
        return primary.hostname if primary else ""


class SchoolDetailApi(SchoolApiView):
    read_perm = None  # any member may read the school's own card

    @extend_schema(responses={200: SchoolOutput, **READ_ERRORS}, tags=["schools"])
    def get(self, request, school_slug):
        return Response(SchoolOutput(self.school).data)


class ProvisionInput(serializers.Serializer):
    slug = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    admin_email = serializers.EmailField()
    timezone = serializers.CharField(max_length=64, required=False, default="Africa/Lagos")
    currency = serializers.CharField(max_length=3, required=False, default="NGN")
    country = serializers.CharField(max_length=2, required=False, default="NG")


class PlatformApiView(ApiView):
    def check_tenant(self, request, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Platform admins only.")
        enter_platform(reason="the platform API lists and provisions schools")


class PlatformSchoolsApi(PlatformApiView):
    @extend_schema(responses={200: SchoolOutput(many=True), 403: ERRORS[403]}, tags=["platform"])
    def get(self, request):
        return paginated(self, School.objects.prefetch_related("domains").order_by("slug"), SchoolOutput)

    @extend_schema(request=ProvisionInput, responses={201: SchoolOutput, **ERRORS}, tags=["platform"])
    def post(self, request):
        data = validated(ProvisionInput, request.data)
        school, _ = services.school_provision(actor=request.user, **data)
        return Response(SchoolOutput(school).data, status=status.HTTP_201_CREATED)
