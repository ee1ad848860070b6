"""API: /api/v1/schools/<slug>/applications/ (list with the board's filters, create, detail,
transition, place, approve, convert, documents) and duplicates/ (open flags, resolve).

Every field error is named by its dotted path (`applicant.date_of_birth`, `guardians.0.phone`), the
same names the services use, so an integrator's form can put each message beside its input.

One module per concern; the views and `ReviewVerdict` (named by settings' ENUM_NAME_OVERRIDES) are
exported from here, where registrar/api_urls.py finds them."""

from .actions import ApplicationApproveApi, ApplicationConvertApi, ApplicationPlaceApi, ApplicationTransitionApi
from .applications import ApplicationDetailApi, ApplicationListApi
from .documents import ApplicationDocumentsApi, DocumentReviewApi, ReviewVerdict
from .duplicates import DuplicateListApi, DuplicateResolveApi

__all__ = [
    "ApplicationApproveApi",
    "ApplicationConvertApi",
    "ApplicationDetailApi",
    "ApplicationDocumentsApi",
    "ApplicationListApi",
    "ApplicationPlaceApi",
    "ApplicationTransitionApi",
    "DocumentReviewApi",
    "DuplicateListApi",
    "DuplicateResolveApi",
    "ReviewVerdict",
]
