"""API: what staff do to one application: applications/<id>/transition/, place/, approve/, convert/."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from classpoint.api.base import ERRORS, ErrorSerializer, scoped_get
from classpoint.api.fields import IdField
from classpoint.api.views import SchoolApiView

from .. import services
from ..models import Application
from ..placement import application_place
from .common import PERM, in_school, school_applications, valid
from .outputs import ApplicationDetailOutput, application_detail

PLACE_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        ErrorSerializer,
        description="A clash: a teacher, room or class is taken, or a class or "
        "slot is full. `fields` say who and which slot.",
    ),
}


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
        application = scoped_get(school_applications(self.school), pk)
        v = valid(TransitionInput, request.data)
        services.application_transition(
            application=application,
            to_status=v["to_status"],
            actor=request.user,
            note=v["note"],
            needs_info_items=v["needs_info_items"],
        )
        return Response(application_detail(self.school, application.pk))


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
        application = scoped_get(school_applications(self.school), pk)
        v = valid(PlaceInput, request.data)
        group = in_school(self.school.class_groups, v["class_group_id"], "class_group_id")
        application_place(application=application, actor=request.user, class_group=group, slot_ids=v["slot_ids"])
        return Response(application_detail(self.school, application.pk))


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
        application = scoped_get(school_applications(self.school), pk)
        v = valid(ApproveInput, request.data)
        services.application_approve(
            application=application,
            actor=request.user,
            send_invoice=v["send_invoice"],
            send_autopay_link=v["send_autopay_link"],
            note=v["note"],
        )
        return Response(application_detail(self.school, application.pk))


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
        application = scoped_get(school_applications(self.school), pk)
        v = valid(ConvertInput, request.data)
        services.application_convert(application=application, actor=request.user, send_welcome=v["send_welcome"])
        return Response(application_detail(self.school, application.pk))
