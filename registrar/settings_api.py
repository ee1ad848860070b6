"""API: GET/PUT /api/v1/schools/<slug>/admission-settings/ — the documents checklist and the
admission number pattern (perm `registrar.manage_applications`).

PUT replaces both at once: every problem in either is reported (`requirements.2.level`,
`admission_number_pattern`) and nothing is saved unless all is valid."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS
from classpoint.api.views import SchoolApiView

from .api.common import valid
from .errors import RegistrarError, RegistrarErrorCode
from .models import DocumentKind
from .services import admission_pattern_set, document_requirements_set
from .services import settings as admission_settings

PERM = "registrar.manage_applications"
PATTERN_FIELD = admission_settings.PATTERN_FIELD


class RequirementSerializer(serializers.Serializer):
    level = serializers.CharField(
        max_length=40, allow_blank=True, help_text='A class level of the school (JSS 1); "" means every level.'
    )
    kind = serializers.ChoiceField(choices=DocumentKind.choices)


class AdmissionSettingsOutput(serializers.Serializer):
    levels = serializers.ListField(
        child=serializers.CharField(), help_text="The class levels a requirement may name (from the class groups)."
    )
    requirements = RequirementSerializer(
        many=True,
        help_text="Documents an applicant must send, by class level. A level also requires what every level "
        'requires (level "").',
    )
    admission_number_pattern = serializers.CharField(
        help_text="{YEAR}, {SEQ} or {SEQ:n} (zero-padded to n digits) and {SLUG}, with letters, digits, spaces "
        "and / - . _ around them."
    )
    next_admission_number = serializers.CharField(
        allow_null=True,
        help_text="The number the next enrolment would get (not reserved); null if the saved pattern is no longer "
        "valid.",
    )


class AdmissionSettingsInput(serializers.Serializer):
    requirements = RequirementSerializer(many=True, help_text="The whole checklist: it replaces the saved one.")
    admission_number_pattern = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)


def _output(school):
    summary = admission_settings.settings_summary(school=school)
    order = {kind: i for i, kind in enumerate(DocumentKind.values)}
    pairs = sorted(summary["requirements"], key=lambda p: (p[0], order[p[1]]))
    return AdmissionSettingsOutput(
        {
            "levels": summary["levels"],
            "requirements": [{"level": level, "kind": kind} for level, kind in pairs],
            PATTERN_FIELD: summary[PATTERN_FIELD],
            "next_admission_number": summary["next_admission_number"],
        }
    ).data


class AdmissionSettingsApi(SchoolApiView):
    """Which documents each class level requires, and how new admission numbers are made."""

    read_perm = PERM
    write_perm = PERM
    pagination_class = None

    @extend_schema(
        operation_id="admission_settings_retrieve",
        responses={200: AdmissionSettingsOutput, **READ_ERRORS},
        tags=["applications"],
    )
    def get(self, request, school_slug):
        return Response(_output(self.school))

    @extend_schema(
        operation_id="admission_settings_update",
        request=AdmissionSettingsInput,
        responses={200: AdmissionSettingsOutput, **{k: v for k, v in ERRORS.items() if k != 409}},
        tags=["applications"],
        description="Replaces the documents checklist and the admission number pattern together. The missing-"
        "documents count of every open application is recounted against the new checklist.",
    )
    def put(self, request, school_slug):
        v = valid(AdmissionSettingsInput, request.data)
        pairs = [(item["level"], item["kind"]) for item in v["requirements"]]
        errors = {}
        for check, kwargs in (
            (admission_settings.clean_requirements, {"requirements": pairs}),
            (admission_settings.clean_admission_pattern, {"pattern": v[PATTERN_FIELD]}),
        ):
            try:
                check(school=self.school, **kwargs)
            except RegistrarError as exc:
                errors.update(exc.fields)
        if errors:
            raise RegistrarError("The request has invalid fields.", code=RegistrarErrorCode.INVALID, fields=errors)
        with transaction.atomic():
            document_requirements_set(school=self.school, actor=request.user, requirements=pairs)
            admission_pattern_set(school=self.school, actor=request.user, pattern=v[PATTERN_FIELD])
        return Response(_output(self.school))
