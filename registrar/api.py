"""API: /api/v1/schools/<slug>/applications/ (list with the board's filters, create, detail,
transition, place, approve, convert, documents) and duplicates/ (open flags, resolve).

Every field error is named by its dotted path (`applicant.date_of_birth`, `guardians.0.phone`), the
same names the services use, so an integrator's form can put each message beside its input."""

import datetime

import django_filters
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, ErrorSerializer, paginated, scoped_get
from classpoint.api.fields import DateField, DateFilter, IdField
from classpoint.api.views import SchoolApiView
from classpoint.files import download_url

from . import services
from .errors import RegistrarError, RegistrarErrorCode
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationGuardian,
    DocumentKind,
    DuplicateFlag,
)
from .placement import application_place
from .transitions import allowed_moves

PERM = "registrar.manage_applications"
STALE_AFTER = datetime.timedelta(days=3)
PLACE_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        ErrorSerializer,
        description="A clash: a teacher, room or class is taken, or a class or "
        "slot is full. `fields` say who and which slot.",
    ),
}


def _dotted(detail, prefix=""):
    """DRF's nested errors as {"applicant.first_name": [...], "guardians.0.phone": [...]}."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            out.update(_dotted(value, f"{prefix}{key}."))
        return out
    if isinstance(detail, list) and all(not isinstance(item, dict | list) for item in detail):
        return {prefix[:-1] or "non_field_errors": [str(item) for item in detail]} if detail else {}
    out = {}
    for index, item in enumerate(detail):
        out.update(_dotted(item, f"{prefix}{index}."))
    return out


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise RegistrarError(
            "The request has invalid fields.", code=RegistrarErrorCode.INVALID, fields=_dotted(serializer.errors)
        )
    return serializer.validated_data


def _in_school(queryset, pk, field):
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise RegistrarError(
            "Not found.", code=RegistrarErrorCode.NOT_FOUND, fields={field: ["Not found in this school."]}
        )
    return obj


# --- Output ---------------------------------------------------------------------------------


class ApplicationGuardianOutput(serializers.ModelSerializer):
    class Meta:
        model = ApplicationGuardian
        fields = [
            "id",
            "guardian_id",
            "first_name",
            "last_name",
            "relationship",
            "phone",
            "email",
            "is_primary",
            "consent_sms",
            "consent_whatsapp",
            "consent_email",
        ]


class ApplicationDocumentOutput(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField(help_text="A link to the file that expires after a few minutes.")

    class Meta:
        model = ApplicationDocument
        fields = [
            "id",
            "kind",
            "status",
            "original_name",
            "content_type",
            "size",
            "uploaded_via",
            "uploaded_at",
            "note",
            "reviewed_at",
            "student_id",
            "file_url",
        ]

    def get_file_url(self, document) -> str:
        return download_url(document.file.name, filename=document.original_name or None)[0]


class ApplicationEventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None)

    class Meta:
        model = ApplicationEvent
        fields = ["kind", "from_status", "to_status", "note", "actor", "at"]


class DuplicateFlagOutput(serializers.ModelSerializer):
    application_reference = serializers.CharField(source="application.reference")
    other_application_reference = serializers.CharField(source="other_application.reference", default=None)
    student_admission_number = serializers.CharField(source="student.admission_number", default=None)

    class Meta:
        model = DuplicateFlag
        fields = [
            "id",
            "application_id",
            "application_reference",
            "other_application_id",
            "other_application_reference",
            "student_id",
            "student_admission_number",
            "reason",
            "status",
            "created_at",
            "resolved_at",
        ]


class ApplicationOutput(serializers.ModelSerializer):
    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "status",
            "first_name",
            "other_names",
            "last_name",
            "date_of_birth",
            "gender",
            "class_level",
            "term_id",
            "previous_school",
            "source",
            "submitted_at",
            "status_changed_at",
            "open_duplicates",
            "missing_documents",
            "placed_class_group_id",
            "placed_at",
            "student_id",
            "invoice_id",
            "converted_at",
        ]


class ApplicationDetailOutput(ApplicationOutput):
    allowed_moves = serializers.SerializerMethodField(help_text="The statuses it may move to next.")
    missing_document_kinds = serializers.SerializerMethodField(help_text="Required documents not yet received.")
    guardians = ApplicationGuardianOutput(many=True, read_only=True)
    documents = ApplicationDocumentOutput(many=True, read_only=True)
    events = ApplicationEventOutput(many=True, read_only=True, help_text="Its history, oldest first.")
    duplicates = DuplicateFlagOutput(source="duplicate_flags", many=True, read_only=True)

    class Meta(ApplicationOutput.Meta):
        fields = [
            *ApplicationOutput.Meta.fields,
            "notes",
            "needs_info_items",
            "allowed_moves",
            "missing_document_kinds",
            "guardians",
            "documents",
            "events",
            "duplicates",
        ]

    def get_allowed_moves(self, application) -> list[str]:
        return allowed_moves(application.status)

    def get_missing_document_kinds(self, application) -> list[str]:
        return services.missing_documents_for(application)


def _applications(school):
    return Application.objects.for_school(school)


def _detail(school, pk):
    queryset = (
        _applications(school)
        .select_related("school")
        .prefetch_related(
            "guardians",
            "documents",
            "events__actor",
            "duplicate_flags__application",
            "duplicate_flags__other_application",
            "duplicate_flags__student",
        )
    )
    return ApplicationDetailOutput(queryset.get(pk=pk)).data


# --- Applications ---------------------------------------------------------------------------


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
        queryset = _applications(self.school).order_by("-submitted_at", "-id")
        return paginated(self, queryset, ApplicationOutput, ApplicationFilter)

    @extend_schema(
        request=ApplicationCreateInput,
        responses={201: ApplicationDetailOutput, **ERRORS},
        tags=["applications"],
        description="An application from the integrator's own form (source `api`). Documents follow with "
        "`POST applications/{id}/documents/`. The family gets APPLICATION_RECEIVED.",
    )
    def post(self, request, school_slug):
        v = _valid(ApplicationCreateInput, request.data)
        applicant = {**v["applicant"], "term": _in_school(self.school.terms, v.get("term_id"), "term_id")}
        application = services.application_submit(
            school=self.school,
            applicant=applicant,
            guardians=[dict(g) for g in v["guardians"]],
            source=Application.Source.API,
            actor=request.user,
        )
        return Response(_detail(self.school, application.pk), status=status.HTTP_201_CREATED)


class ApplicationDetailApi(SchoolApiView):
    read_perm = PERM

    @extend_schema(responses={200: ApplicationDetailOutput, **READ_ERRORS}, tags=["applications"])
    def get(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        return Response(_detail(self.school, application.pk))


class TransitionInput(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Application.Status.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    needs_info_items = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        help_text="For needs_info: what the family must send (they get a link to upload it).",
    )


class ApplicationTransitionApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(
        request=TransitionInput,
        responses={200: ApplicationDetailOutput, **ERRORS},
        tags=["applications"],
        description="Move along the transition table (pending → in_review → needs_info ⇄ in_review → approved → "
        "converted; rejected or withdrawn from any open status). Anything else is refused with code "
        "`invalid_transition`. Approving here sends no invoice: use `approve/` for that.",
    )
    def post(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        v = _valid(TransitionInput, request.data)
        services.application_transition(
            application=application,
            to_status=v["to_status"],
            actor=request.user,
            note=v["note"],
            needs_info_items=v["needs_info_items"],
        )
        return Response(_detail(self.school, application.pk))


class PlaceInput(serializers.Serializer):
    class_group_id = IdField()
    slot_ids = serializers.ListField(
        child=IdField(), required=False, default=list, help_text="Timetable slots to hold a seat in."
    )


class ApplicationPlaceApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(
        request=PlaceInput,
        responses={200: ApplicationDetailOutput, **PLACE_ERRORS},
        tags=["applications"],
        description="Place the applicant in a class group and timetable slots (replacing an earlier "
        "placement). A clash answers 409 naming who and which slot.",
    )
    def post(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        v = _valid(PlaceInput, request.data)
        group = _in_school(self.school.class_groups, v["class_group_id"], "class_group_id")
        application_place(application=application, actor=request.user, class_group=group, slot_ids=v["slot_ids"])
        return Response(_detail(self.school, application.pk))


class ApproveInput(serializers.Serializer):
    send_invoice = serializers.BooleanField(
        default=False, help_text="Admit now and issue the first invoice from the placed class's fee schedule."
    )
    send_autopay_link = serializers.BooleanField(
        default=False, help_text="The invoice message carries each guardian's pay-now link (needs send_invoice)."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApplicationApproveApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(
        request=ApproveInput,
        responses={200: ApplicationDetailOutput, **ERRORS},
        tags=["applications"],
        description="in_review → approved; the applicant must be placed in a class first.",
    )
    def post(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        v = _valid(ApproveInput, request.data)
        services.application_approve(
            application=application,
            actor=request.user,
            send_invoice=v["send_invoice"],
            send_autopay_link=v["send_autopay_link"],
            note=v["note"],
        )
        return Response(_detail(self.school, application.pk))


class ConvertInput(serializers.Serializer):
    send_welcome = serializers.BooleanField(default=False, help_text="Send the family the WELCOME message.")


class ApplicationConvertApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(
        request=ConvertInput,
        responses={200: ApplicationDetailOutput, **ERRORS},
        tags=["applications"],
        description="approved → converted: the student is created (or activated), enrolled in the placed "
        "class for the term, and given the applicant's seats and documents. Converting again "
        "returns the same student and changes nothing.",
    )
    def post(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        v = _valid(ConvertInput, request.data)
        services.application_convert(application=application, actor=request.user, send_welcome=v["send_welcome"])
        return Response(_detail(self.school, application.pk))


# --- Documents ------------------------------------------------------------------------------


class DocumentUploadInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text="PDF, JPEG or PNG (a photo: JPEG or PNG), judged by its first bytes.")


class ApplicationDocumentsApi(SchoolApiView):
    read_perm = PERM
    write_perm = PERM
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ApplicationDocumentOutput(many=True), **READ_ERRORS}, tags=["applications"])
    def get(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        queryset = ApplicationDocument.objects.for_school(self.school).filter(application=application)
        return paginated(self, queryset.order_by("kind", "-uploaded_at", "-id"), ApplicationDocumentOutput)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadInput},
        responses={201: ApplicationDocumentOutput, **ERRORS},
        tags=["applications"],
    )
    def post(self, request, school_slug, pk):
        application = scoped_get(_applications(self.school), pk)
        v = _valid(DocumentUploadInput, request.data)
        document = services.document_add(
            application=application,
            kind=v["kind"],
            upload=v["file"],
            via=ApplicationDocument.Via.API,
            actor=request.user,
        )
        return Response(ApplicationDocumentOutput(document).data, status=status.HTTP_201_CREATED)


class ReviewVerdict(models.TextChoices):
    VERIFIED = ApplicationDocument.Status.VERIFIED.value, "Verified"
    REJECTED = ApplicationDocument.Status.REJECTED.value, "Rejected"


class DocumentReviewInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReviewVerdict.choices)
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Required to reject."
    )


class DocumentReviewApi(SchoolApiView):
    write_perm = PERM

    @extend_schema(
        request=DocumentReviewInput, responses={200: ApplicationDocumentOutput, **ERRORS}, tags=["applications"]
    )
    def post(self, request, school_slug, pk, doc_id):
        application = scoped_get(_applications(self.school), pk)
        document = scoped_get(
            ApplicationDocument.objects.for_school(self.school).filter(application=application), doc_id
        )
        v = _valid(DocumentReviewInput, request.data)
        document = services.document_review(document=document, actor=request.user, status=v["status"], note=v["note"])
        return Response(ApplicationDocumentOutput(document).data)


# --- Duplicates -----------------------------------------------------------------------------


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
        v = _valid(ResolveInput, request.data)
        flag = services.duplicate_resolve(flag=flag, actor=request.user, action=v["action"])
        return Response(DuplicateFlagOutput(_flags(self.school).get(pk=flag.pk)).data)
