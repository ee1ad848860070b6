"""API: /api/v1/schools/<slug>/applications/ (the board's list and filters, create) and
applications/<id>/ (detail)."""

import datetime

import django_filters
from django.db.models import Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, paginated, scoped_get
from classpoint.api.fields import DateField, DateFilter, IdField
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import OPEN_STATUSES, Application
from .common import PERM, in_school, school_applications, valid
from .outputs import ApplicationDetailOutput, ApplicationOutput, application_detail

STALE_AFTER = datetime.timedelta(days=3)


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Application.Status.choices)
    class_level = django_filters.CharFilter(label="The class level sought (JSS 1)")
    submitted_from = DateFilter(method="since", label="Submitted on or after (school-local date)")
    submitted_to = DateFilter(method="until", label="Submitted on or before (school-local date)")
    duplicates = django_filters.BooleanFilter(method="with_duplicates", label="Has open possible duplicates")
    missing_documents = django_filters.BooleanFilter(method="with_missing", label="Misses required documents")
    stale = django_filters.BooleanFilter(method="stale_only", label="Open, and unchanged for more than 3 days")
    q = django_filters.CharFilter(method="search", label="Name, phone, email or reference contains")

    class Meta:
        model = Application
        fields = ["status", "class_level"]

    def since(self, queryset, name, value):
        return queryset.filter(submitted_at__gte=self.request.school.local_day_start(value))

    def until(self, queryset, name, value):
        end = self.request.school.local_day_start(value + datetime.timedelta(days=1))
        return queryset.filter(submitted_at__lt=end)

    def with_duplicates(self, queryset, name, value):
        return queryset.filter(open_duplicates__gt=0) if value else queryset.filter(open_duplicates=0)

    def with_missing(self, queryset, name, value):
        return queryset.filter(missing_documents__gt=0) if value else queryset.filter(missing_documents=0)

    def stale_only(self, queryset, name, value):
        stale = Q(status__in=OPEN_STATUSES, status_changed_at__lt=timezone.now() - STALE_AFTER)
        return queryset.filter(stale) if value else queryset.exclude(stale)

    def search(self, queryset, name, value):
        value = " ".join(value.split()).lower()
        return queryset.filter(search_text__contains=value) if value else queryset


class ApplicantInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    other_names = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=80)
    date_of_birth = DateField(help_text="Not in the future, at most 25 years ago.")
    gender = serializers.ChoiceField(choices=Application.Gender.choices)
    class_level = serializers.CharField(max_length=40, help_text="One of the school's class levels (JSS 1).")
    previous_school = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApplicationGuardianInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    relationship = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="Any common format; stored as E.164. A phone or an email is required.",
    )
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    consent_sms = serializers.BooleanField(default=False)
    consent_whatsapp = serializers.BooleanField(default=False)
    consent_email = serializers.BooleanField(default=False)


class ApplicationCreateInput(serializers.Serializer):
    applicant = ApplicantInput()
    guardians = ApplicationGuardianInput(
        many=True,
        help_text="One or two; the first is the primary contact. An existing guardian with the same phone "
        "(else email) is reused.",
    )
    term_id = IdField(required=False, allow_null=True, help_text="Default: the current term.")


class ApplicationListApi(SchoolApiView):
    read_perm = PERM
    write_perm = PERM
    # Read by the schema generator only (filter parameters); requests start from the school.
    queryset = Application.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApplicationFilter

    @extend_schema(responses={200: ApplicationOutput(many=True), **READ_ERRORS}, filters=True, tags=["applications"])
    def get(self, request, school_slug):
        queryset = school_applications(self.school).order_by("-submitted_at", "-id")
        return paginated(self, queryset, ApplicationOutput, ApplicationFilter)

    @extend_schema(
        request=ApplicationCreateInput,
        responses={201: ApplicationDetailOutput, **ERRORS},
        tags=["applications"],
        description="An application from the integrator's own form (source `api`). Documents follow with "
        "`POST applications/{id}/documents/`. The family gets APPLICATION_RECEIVED.",
    )
    def post(self, request, school_slug):
        v = valid(ApplicationCreateInput, request.data)
        applicant = {**v["applicant"], "term": in_school(self.school.terms, v.get("term_id"), "term_id")}
        application = services.application_submit(
            school=self.school,
            applicant=applicant,
            guardians=[dict(g) for g in v["guardians"]],
            source=Application.Source.API,
            actor=request.user,
        )
        return Response(application_detail(self.school, application.pk), status=status.HTTP_201_CREATED)


class ApplicationDetailApi(SchoolApiView):
    read_perm = PERM

    @extend_schema(responses={200: ApplicationDetailOutput, **READ_ERRORS}, tags=["applications"])
    def get(self, request, school_slug, pk):
        application = scoped_get(school_applications(self.school), pk)
        return Response(application_detail(self.school, application.pk))
