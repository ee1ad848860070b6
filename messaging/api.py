"""API: /api/v1/schools/<slug>/messages/ (log, detail with history, retry),
guardians/<id>/consent/ (what a guardian agreed to, and staff recording it), announcements/ and
guardian-lists/ (the saved lists an announcement can go to)."""

import datetime

import django_filters
from django.db.models import Count, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from classpoint.api.base import ERRORS, READ_ERRORS, found_or_404, paginated, scoped_get, validated
from classpoint.api.fields import DateFilter, DateTimeField, IdField, IdFilter
from classpoint.api.views import SchoolApiView
from schools import selectors as schools_selectors

from .announcements import announcement_create, announcement_publish
from .consent import consent_set
from .lists import guardian_list_create, guardian_list_delete, guardian_list_update
from .models import Announcement, Channel, ConsentChange, GuardianList, Message, MessageStatusChange, TemplateType
from .retry import message_retry


class StatusChangeOutput(serializers.ModelSerializer):
    class Meta:
        model = MessageStatusChange
        fields = ["status", "note", "at"]


class MessageOutput(serializers.ModelSerializer):
    type = serializers.CharField(source="template_type")

    class Meta:
        model = Message
        fields = [
            "id",
            "guardian_id",
            "student_id",
            "channel",
            "type",
            "to_address",
            "subject",
            "body",
            "status",
            "status_reason",
            "urgent",
            "provider",
            "provider_message_id",
            "attempts",
            "error",
            "send_after",
            "created_at",
            "sent_at",
            "delivered_at",
        ]


class MessageDetailOutput(MessageOutput):
    history = StatusChangeOutput(many=True, read_only=True, help_text="Status changes, oldest first.")

    class Meta(MessageOutput.Meta):
        fields = [*MessageOutput.Meta.fields, "history"]


class MessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Message.Status.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    type = django_filters.ChoiceFilter(field_name="template_type", choices=TemplateType.choices)
    guardian = IdFilter(field_name="guardian_id")
    student = IdFilter(field_name="student_id")
    date_from = DateFilter(method="since", label="Created on or after this school-local date")
    date_to = DateFilter(method="until", label="Created on or before this school-local date")
    q = django_filters.CharFilter(method="search", label="Recipient address or guardian name contains")

    class Meta:
        model = Message
        fields = ["status"]

    def since(self, queryset, name, value):
        return queryset.filter(created_at__gte=self.request.school.local_day_start(value))

    def until(self, queryset, name, value):
        return queryset.filter(created_at__lt=self.request.school.local_day_start(value + datetime.timedelta(days=1)))

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(to_address__icontains=value)
            | Q(guardian__last_name__icontains=value)
            | Q(guardian__first_name__icontains=value)
        )


def _messages(school):
    return Message.objects.for_school(school)


class MessageListApi(SchoolApiView):
    read_perm = "messaging.send"
    # Read by the schema generator only (filter parameters); requests go through `paginated`,
    # starting from the school.
    queryset = Message.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFilter

    @extend_schema(responses={200: MessageOutput(many=True), **READ_ERRORS}, filters=True, tags=["messages"])
    def get(self, request, school_slug):
        return paginated(self, _messages(self.school).order_by("-created_at", "-id"), MessageOutput, MessageFilter)


class MessageDetailApi(SchoolApiView):
    read_perm = "messaging.send"

    @extend_schema(responses={200: MessageDetailOutput, **READ_ERRORS}, tags=["messages"])
    def get(self, request, school_slug, pk):
        message = scoped_get(_messages(self.school).prefetch_related("history"), pk)
        return Response(MessageDetailOutput(message).data)


class MessageRetryApi(SchoolApiView):
    write_perm = "messaging.send"

    @extend_schema(
        request=None,
        responses={201: MessageDetailOutput, **ERRORS},
        tags=["messages"],
        description="Queue a failed message again as a new message (key `retry:<id>:<n>`).",
    )
    def post(self, request, school_slug, pk):
        new = message_retry(message=scoped_get(_messages(self.school), pk), actor=request.user)
        message = _messages(self.school).prefetch_related("history").get(pk=new.pk)
        return Response(MessageDetailOutput(message).data, status=status.HTTP_201_CREATED)


class ConsentChangeOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None)

    class Meta:
        model = ConsentChange
        fields = ["channel", "granted", "source", "note", "actor", "created_at"]


class ConsentOutput(serializers.Serializer):
    guardian_id = serializers.IntegerField(source="pk")
    sms = serializers.BooleanField(source="consent_sms")
    whatsapp = serializers.BooleanField(source="consent_whatsapp")
    email = serializers.BooleanField(source="consent_email")
    history = serializers.SerializerMethodField()

    @extend_schema_field(ConsentChangeOutput(many=True))
    def get_history(self, guardian):
        changes = ConsentChange.objects.for_school(guardian.school_id).filter(guardian=guardian)
        return ConsentChangeOutput(changes.select_related("actor")[:50], many=True).data


class ConsentInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    granted = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _guardian(school, guardian_id):
    return found_or_404(schools_selectors.guardian_get(school=school, guardian_id=guardian_id))


class GuardianConsentApi(SchoolApiView):
    read_perm = "students.view"
    write_perm = "students.manage"

    @extend_schema(responses={200: ConsentOutput, **READ_ERRORS}, tags=["messages"])
    def get(self, request, school_slug, guardian_id):
        return Response(ConsentOutput(_guardian(self.school, guardian_id)).data)

    @extend_schema(
        request=ConsentInput,
        responses={200: ConsentOutput, **ERRORS},
        tags=["messages"],
        description="Record consent given or withdrawn (source: staff); unchanged, it records nothing.",
    )
    def post(self, request, school_slug, guardian_id):
        guardian = _guardian(self.school, guardian_id)
        v = validated(ConsentInput, request.data)
        consent_set(
            guardian=guardian,
            channel=v["channel"],
            granted=v["granted"],
            source=ConsentChange.Source.STAFF,
            actor=request.user,
            note=v["note"],
        )
        return Response(ConsentOutput(guardian).data)


# --- Announcements ---------------------------------------------------------------------------


class AnnouncementOutput(serializers.ModelSerializer):
    class_group_ids = serializers.PrimaryKeyRelatedField(source="class_groups", many=True, read_only=True)

    class Meta:
        model = Announcement
        fields = [
            "id",
            "title",
            "body",
            "audience",
            "class_group_ids",
            "guardian_list",
            "channels",
            "scheduled_for",
            "published_at",
            "created_at",
        ]


class AnnouncementInput(serializers.Serializer):
    # Only shapes here; announcement_create checks the rest and answers with field errors.
    title = serializers.CharField(max_length=200, allow_blank=True)
    body = serializers.CharField(allow_blank=True)
    audience = serializers.CharField(required=False, default=Announcement.Audience.WHOLE_SCHOOL)
    class_group_ids = serializers.ListField(child=IdField(), required=False, default=list)
    guardian_list = IdField(
        required=False, allow_null=True, default=None, help_text="The id of a saved list (`saved_list` audience)."
    )
    channels = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    scheduled_for = DateTimeField(required=False, allow_null=True, default=None)


def _announcements(school):
    return Announcement.objects.for_school(school).prefetch_related("class_groups")


class AnnouncementListApi(SchoolApiView):
    read_perm = "messaging.send"
    write_perm = "messaging.send"

    @extend_schema(responses={200: AnnouncementOutput(many=True), **READ_ERRORS}, tags=["messages"])
    def get(self, request, school_slug):
        return paginated(self, _announcements(self.school).order_by("-created_at", "-id"), AnnouncementOutput)

    @extend_schema(
        request=AnnouncementInput,
        responses={201: AnnouncementOutput, **ERRORS},
        tags=["messages"],
        description="Save an announcement (published later by hand or at `scheduled_for`).",
    )
    def post(self, request, school_slug):
        fields = dict(validated(AnnouncementInput, request.data))
        fields["guardian_list_id"] = fields.pop("guardian_list")
        item = announcement_create(school=self.school, actor=request.user, **fields)
        return Response(
            AnnouncementOutput(_announcements(self.school).get(pk=item.pk)).data, status=status.HTTP_201_CREATED
        )


class AnnouncementPublishApi(SchoolApiView):
    write_perm = "messaging.send"

    @extend_schema(
        request=None,
        responses={200: AnnouncementOutput, **ERRORS},
        tags=["messages"],
        description="Publish now: one message per guardian of the audience is asked for.",
    )
    def post(self, request, school_slug, pk):
        item = announcement_publish(announcement=scoped_get(_announcements(self.school), pk), actor=request.user)
        return Response(AnnouncementOutput(_announcements(self.school).get(pk=item.pk)).data)


# --- Saved lists -----------------------------------------------------------------------------


class GuardianListOutput(serializers.ModelSerializer):
    guardian_count = serializers.IntegerField(read_only=True, help_text="How many guardians are on the list.")

    class Meta:
        model = GuardianList
        fields = ["id", "name", "description", "guardian_count", "created_at", "updated_at"]


class GuardianListDetailOutput(GuardianListOutput):
    guardian_ids = serializers.SerializerMethodField(help_text="The members, by guardian id, ascending.")

    class Meta(GuardianListOutput.Meta):
        fields = [*GuardianListOutput.Meta.fields, "guardian_ids"]

    def get_guardian_ids(self, guardian_list) -> list[int]:
        return list(guardian_list.guardians.order_by("pk").values_list("pk", flat=True))


class GuardianListInput(serializers.Serializer):
    # Only shapes here; the lists services check names and members and answer with field errors.
    name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    guardian_ids = serializers.ListField(
        child=IdField(), required=False, default=list, help_text="The members; on PATCH, the complete new membership."
    )


class GuardianListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    guardian = IdFilter(field_name="guardians", label="Lists this guardian is on")

    class Meta:
        model = GuardianList
        fields = ["q"]


def _guardian_lists(school):
    return GuardianList.objects.for_school(school).annotate(guardian_count=Count("guardians", distinct=True))


class GuardianListsApi(SchoolApiView):
    read_perm = "messaging.send"
    write_perm = "messaging.send"
    # Read by the schema generator only (filter parameters); requests start from the school.
    queryset = GuardianList.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = GuardianListFilter

    @extend_schema(responses={200: GuardianListOutput(many=True), **READ_ERRORS}, filters=True, tags=["messages"])
    def get(self, request, school_slug):
        return paginated(
            self, _guardian_lists(self.school).order_by("name", "id"), GuardianListOutput, GuardianListFilter
        )

    @extend_schema(
        request=GuardianListInput,
        responses={201: GuardianListDetailOutput, **ERRORS},
        tags=["messages"],
        description="Save a list of guardians that announcements can be addressed to.",
    )
    def post(self, request, school_slug):
        v = validated(GuardianListInput, request.data)
        item = guardian_list_create(school=self.school, actor=request.user, **v)
        return Response(
            GuardianListDetailOutput(_guardian_lists(self.school).get(pk=item.pk)).data, status=status.HTTP_201_CREATED
        )


class GuardianListDetailApi(SchoolApiView):
    read_perm = "messaging.send"
    write_perm = "messaging.send"

    @extend_schema(responses={200: GuardianListDetailOutput, **READ_ERRORS}, tags=["messages"])
    def get(self, request, school_slug, pk):
        return Response(GuardianListDetailOutput(scoped_get(_guardian_lists(self.school), pk)).data)

    @extend_schema(
        request=GuardianListInput(partial=True),
        responses={200: GuardianListDetailOutput, **ERRORS},
        tags=["messages"],
        description="Change the name, description or members (what is omitted stays).",
    )
    def patch(self, request, school_slug, pk):
        item = scoped_get(_guardian_lists(self.school), pk)
        v = validated(GuardianListInput, request.data, partial=True)
        guardian_list_update(guardian_list=item, actor=request.user, **v)
        return Response(GuardianListDetailOutput(_guardian_lists(self.school).get(pk=item.pk)).data)

    @extend_schema(
        request=None,
        responses={204: None, **ERRORS},
        tags=["messages"],
        description="Delete the list; refused (400, `guardian_list_in_use`) while an announcement that has "
        "not gone out yet is addressed to it.",
    )
    def delete(self, request, school_slug, pk):
        guardian_list_delete(guardian_list=scoped_get(_guardian_lists(self.school), pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
