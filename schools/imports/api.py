"""API: /api/v1/schools/<slug>/imports/..."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, FileLinkOutput, UploadTargetOutput, paginated, scoped_get
from classpoint.api.views import SchoolApiView
from classpoint.files import download_url, new_key, upload_target

from ..models import ImportJob
from . import services


class ImportJobOutput(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    has_errors_report = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "file_name",
            "file_key",
            "mode",
            "status",
            "message",
            "total_rows",
            "processed_rows",
            "percent",
            "created_count",
            "updated_count",
            "unchanged_count",
            "failed_count",
            "warning_count",
            "extra_headers",
            "first_errors",
            "has_errors_report",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_has_errors_report(self, job) -> bool:
        return bool(job.errors_key)


class UploadUrlInput(serializers.Serializer):
    file_name = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=100, required=False)


class ImportUploadUrlApi(SchoolApiView):
    read_perm = write_perm = "imports.run"

    @extend_schema(request=UploadUrlInput, responses={201: UploadTargetOutput, **ERRORS}, tags=["imports"])
    def post(self, request, school_slug):
        data = UploadUrlInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = new_key(services.upload_prefix(self.school), data.validated_data["file_name"])
        target = upload_target(key, max_bytes=settings.IMPORT_MAX_BYTES)
        return Response({**target, "max_bytes": settings.IMPORT_MAX_BYTES}, status=status.HTTP_201_CREATED)


class ImportCreateInput(serializers.Serializer):
    file_key = serializers.CharField(max_length=500)
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.IMPORT)
    file_name = serializers.CharField(max_length=255, required=False)


class ImportListApi(SchoolApiView):
    read_perm = write_perm = "imports.run"

    @extend_schema(responses={200: ImportJobOutput(many=True), **READ_ERRORS}, tags=["imports"])
    def get(self, request, school_slug):
        return paginated(
            self, ImportJob.objects.for_school(self.school).order_by("-created_at", "-id"), ImportJobOutput
        )

    @extend_schema(request=ImportCreateInput, responses={201: ImportJobOutput, **ERRORS}, tags=["imports"])
    def post(self, request, school_slug):
        data = ImportCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_job_create(school=self.school, actor=request.user, **data.validated_data)
        job.refresh_from_db()
        return Response(ImportJobOutput(job).data, status=status.HTTP_201_CREATED)


class ImportDetailApi(SchoolApiView):
    read_perm = "imports.run"

    @extend_schema(responses={200: ImportJobOutput, **READ_ERRORS}, tags=["imports"])
    def get(self, request, school_slug, pk):
        return Response(ImportJobOutput(scoped_get(ImportJob.objects.for_school(self.school), pk)).data)


class ImportErrorsUrlApi(SchoolApiView):
    read_perm = "imports.run"

    @extend_schema(responses={200: FileLinkOutput, **READ_ERRORS}, tags=["imports"])
    def get(self, request, school_slug, pk):
        job = scoped_get(ImportJob.objects.for_school(self.school), pk)
        if not job.errors_key:
            raise NotFound("This import has no errors report.")
        url, expires_at = download_url(job.errors_key, filename=f"import-{job.pk}-errors.csv")
        return Response({"url": url, "expires_at": expires_at})
