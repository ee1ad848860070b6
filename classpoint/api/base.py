"""Small helpers every endpoint uses: paginate + filter in a stable order, validate input, find a row
or 404, error schema."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import serializers

from .pagination import Pagination

# Messages per input field; nested input (invoice lines, a list of items) nests the same shape by
# name or by position, so a field may hold an object or a list of objects instead of messages.
ERROR_FIELDS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"anyOf": [{"type": "array", "items": {}}, {"type": "object"}]},
    "example": {"amount_minor": ["Ensure this value is greater than or equal to 1."]},
}


@extend_schema_field(ERROR_FIELDS_SCHEMA)
class ErrorFieldsField(serializers.DictField):
    pass


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": ErrorFieldsField(),
            },
        )
    },
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; `fields` names each bad field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="No such school or object (or not yours)."),
    409: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused with another body."),
}
READ_ERRORS = {k: ERRORS[k] for k in (403, 404)}


def paginated(view, queryset, output_serializer, filterset_class=None):
    """Filter (django-filter), paginate and serialise; the queryset must already be ordered."""
    if filterset_class is not None:
        filterset = filterset_class(view.request.query_params, queryset=queryset, request=view.request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        queryset = filterset.qs
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    return paginator.get_paginated_response(output_serializer(page, many=True).data)


def scoped_get(queryset, pk):
    """A 404 for a missing id, a malformed id, and another school's id alike."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(queryset, pk=pk)


def found_or_404(row):
    """A selector's row, or a 404 when it found none: selectors answer None for a missing id and
    another school's alike (`fees.selectors.invoice_of_school`)."""
    if row is None:
        raise Http404
    return row


def validated(serializer_class, data, **kwargs):
    """The input's validated data, or the 400 naming each bad field. With it an endpoint is: validate,
    call the service, answer; a service's DomainError needs no handling here, the API's exception
    handler (`classpoint.api.errors`) answers it with its code, message, fields and status."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Files are reached by expiring links and uploaded to a short-lived target: one shape for each,
# whichever app hands them out.
FileLinkOutput = inline_serializer(
    name="FileLink", fields={"url": serializers.URLField(), "expires_at": serializers.DateTimeField()}
)
UploadTargetOutput = inline_serializer(
    name="UploadTarget",
    fields={
        "method": serializers.CharField(),
        "url": serializers.URLField(),
        "fields": serializers.DictField(child=serializers.CharField(), help_text="Send these too (S3)."),
        "file_key": serializers.CharField(help_text="Name the upload by this key when you submit it."),
        "expires_at": serializers.DateTimeField(),
        "max_bytes": serializers.IntegerField(),
    },
)
