"""What the application endpoints answer: an application, its guardians, documents, history and
possible duplicates."""

from rest_framework import serializers

from classpoint.files import download_url

from .. import services
from ..models import Application, ApplicationDocument, ApplicationEvent, ApplicationGuardian, DuplicateFlag
from ..transitions import allowed_moves
from .common import school_applications


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


def application_detail(school, pk):
    queryset = (
        school_applications(school)
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
