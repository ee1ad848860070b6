"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from classpoint.errors import ApiErrorCode, DomainError


def error_body(code, message, fields=None):
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body(ApiErrorCode.INVALID, "The request has invalid fields.", fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = _flatten(detail)
        response.data = error_body(ApiErrorCode.INVALID, "The request has invalid fields.", fields)
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body(ApiErrorCode.MALFORMED_REQUEST, str(exc.detail))
    else:
        response.data = error_body(_api_code(exc), str(getattr(exc, "detail", exc)))
    return response


def _api_code(exc):
    """DRF's code for the exception (a permission's `code`, an APIException's `default_code`) when the
    schema lists it; the schema's error component is the whole list integrators are promised."""
    code = exc.get_codes() if hasattr(exc, "get_codes") else None
    try:
        return ApiErrorCode(code)
    except ValueError:
        return ApiErrorCode.ERROR


def json_404(request, exception=None):
    return JsonResponse(error_body(ApiErrorCode.NOT_FOUND, "Not found."), status=status.HTTP_404_NOT_FOUND)


def json_500(request):
    return JsonResponse(error_body(ApiErrorCode.SERVER_ERROR, "Something went wrong on our side."), status=500)


def json_503(request, *, retry_after):
    message = f"The service is briefly unavailable. Retry after {retry_after} seconds."
    return JsonResponse(error_body(ApiErrorCode.SERVICE_UNAVAILABLE, message), status=503)
