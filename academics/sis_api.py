"""API: the school's SIS sync under /api/v1/schools/<slug>/sis/ (the old system's
`GET /api/aeries/sync-status`): the last run and its counts, the next nightly run, and when the
Aeries certificate or the OneRoster token expires. Needs `school.manage`; another school's slug is a
404 as for one that does not exist. The credentials themselves are never in any answer: only the
name of the secret that holds them is stored, and not even that is shown here.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import READ_ERRORS
from classpoint.api.views import SchoolApiView

from .models import SisConnection, SyncRun
from .models.sis import Adapter
from .sis.status import sync_status
from .sis.tally import KINDS, OUTCOMES

MANAGE = "school.manage"
TAGS = ["sis sync"]

COUNTS = {
    "type": "object",
    "description": f"Per kind ({', '.join(KINDS)}; kinds with nothing to report are left out): "
    f"{', '.join(OUTCOMES)}. `linked`: existing rows matched to the SIS (a pupil imported from CSV); "
    "`ended`: enrollments ended because the SIS no longer enrols the pupil.",
    "additionalProperties": {
        "type": "object",
        "properties": {name: {"type": "integer"} for name in OUTCOMES},
        "required": list(OUTCOMES),
    },
}
ERROR = {
    "type": "object",
    "properties": {
        "kind": {"type": "string"},
        "external_id": {"type": "string", "description": "The SIS's id of the record (empty for the whole kind)."},
        "message": {"type": "string"},
    },
    "required": ["kind", "external_id", "message"],
}
RUN = {
    "id": {"type": "integer"},
    "status": {"type": "string", "enum": SyncRun.Status.values},
    "started_at": {"type": "string", "format": "date-time"},
    "finished_at": {"type": "string", "format": "date-time", "nullable": True},
    "duration_ms": {"type": "integer", "nullable": True},
    "since": {"type": "string", "format": "date", "nullable": True},
    "counts": COUNTS,
    "error_count": {"type": "integer", "description": "Records that failed; `errors` shows the first 20."},
    "errors": {"type": "array", "items": ERROR},
    "message": {"type": "string", "description": "Why the run as a whole failed (nothing was written)."},
}


class RunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    since = serializers.DateField(allow_null=True)
    counts = serializers.DictField()
    error_count = serializers.IntegerField()
    errors = serializers.ListField()
    message = serializers.CharField(allow_blank=True)


@extend_schema_field({"type": "object", "nullable": True, "properties": RUN, "required": list(RUN)})
class NullableRun(serializers.Field):
    """A run or null, declared inline (the schema validator reads `nullable` beside an `allOf`
    reference as not allowing null)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return RunOutput(value).data


class SyncStatusOutput(serializers.Serializer):
    configured = serializers.BooleanField(help_text="Whether the school has a SIS connection.")
    adapter = serializers.ChoiceField(choices=Adapter.choices, allow_null=True, help_text="Null without a connection.")
    enabled = serializers.BooleanField(help_text="Whether the nightly sync runs it.")
    attendance_direction = serializers.ChoiceField(
        choices=SisConnection.Direction.choices, allow_null=True, help_text="Null without a connection."
    )
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text="The next nightly run (the school's 01:00); null if disabled."
    )
    certificate_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Aeries: when the certificate ends, as the operator entered it."
    )
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="OneRoster: when the last access token expires."
    )
    last_run = NullableRun(help_text="The last run that was not a dry run; null before the first.")
    last_dry_run = NullableRun(help_text="The last dry run, if any.")


class SyncStatusApi(SchoolApiView):
    read_perm = MANAGE
    pagination_class = None

    @extend_schema(
        responses={200: SyncStatusOutput, **READ_ERRORS},
        tags=TAGS,
        description="The school's SIS sync: adapter, last run with its counts and first errors, next run, "
        "certificate or token expiry. Without a connection: `configured` false, the rest null.",
    )
    def get(self, request, school_slug):
        return Response(SyncStatusOutput(sync_status(school=self.school)).data)
