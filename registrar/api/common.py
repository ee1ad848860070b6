"""What the registrar API modules share: field errors by dotted path, and the school's applications."""

from ..errors import RegistrarError, RegistrarErrorCode
from ..models import Application

PERM = "registrar.manage_applications"


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


def valid(serializer_class, data):
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise RegistrarError(
            "The request has invalid fields.", code=RegistrarErrorCode.INVALID, fields=_dotted(serializer.errors)
        )
    return serializer.validated_data


def in_school(queryset, pk, field):
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise RegistrarError(
            "Not found.", code=RegistrarErrorCode.NOT_FOUND, fields={field: ["Not found in this school."]}
        )
    return obj


def school_applications(school):
    return Application.objects.for_school(school)
