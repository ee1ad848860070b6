"""API: GET /api/v1/schools/<slug>/audit-log/ — the school's audit log, newest first (perm `audit.view`)."""

import datetime

import django_filters
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from .api.base import READ_ERRORS, paginated
from .api.fields import IdFilter, IsoDateTimeFilter
from .api.pagination import Pagination
from .api.views import SchoolApiView
from .models import AuditLog


class AuditEntryOutput(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(default_timezone=datetime.UTC)
    actor = serializers.IntegerField(source="actor_id", allow_null=True, help_text="User id; null for the system.")

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "changes",
            "ip_address",
            "request_id",
        ]


class AuditLogFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action", help_text="Exactly this action, e.g. payment.confirmed")
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", help_text="Actions starting with this, e.g. invoice."
    )
    actor = IdFilter(field_name="actor_id", help_text="User id of who did it")
    target_type = django_filters.CharFilter(field_name="target_type", help_text="e.g. fees.invoice")
    target_id = django_filters.CharFilter(field_name="target_id")
    since = IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="ISO 8601, inclusive; without an offset it is the school's local time",
    )
    until = IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="ISO 8601, exclusive; without an offset it is the school's local time",
    )
    hide_views = django_filters.BooleanFilter(method="filter_hide_views", help_text="Leave out record views")

    class Meta:
        model = AuditLog
        fields = []

    def filter_hide_views(self, queryset, name, value):
        return queryset.exclude(action__endswith=".viewed") if value else queryset


class AuditLogApi(SchoolApiView):
    read_perm = "audit.view"
    # Read by the schema generator only (filter parameters, the paginated envelope); requests go
    # through `paginated`, starting from the school.
    queryset = AuditLog.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditLogFilter
    pagination_class = Pagination

    @extend_schema(responses={200: AuditEntryOutput(many=True), **READ_ERRORS}, tags=["audit"])
    def get(self, request, school_slug):
        entries = AuditLog.objects.for_school(self.school).order_by("-created_at", "-id")
        # Times given without an offset are the school's, as on its workspace pages.
        with timezone.override(self.school.tzinfo):
            return paginated(self, entries, AuditEntryOutput, AuditLogFilter)
