"""Base classes for API endpoints. School endpoints resolve the tenant from the path in one place
(`classpoint.tenancy.resolve_school`): not a member, or no such school, is a 404."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from classpoint import tenancy

from . import idempotency
from .pagination import Pagination
from .permissions import SecondFactorVerified

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiView(APIView):
    """Adds Idempotency-Key handling to POST."""

    # Every list answers through `base.paginated` ({count, next, previous, results}); naming the
    # class here lets the OpenAPI schema describe that envelope and its `page`/`page_size` params.
    pagination_class = Pagination

    def get_permissions(self):
        # The second step is not the view's choice: a view naming its own permission classes keeps it.
        return [*super().get_permissions(), SecondFactorVerified()]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.check_tenant(request, **kwargs)
        request.idempotency_record = idempotency.begin(request)

    def check_tenant(self, request, **kwargs):
        pass

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.IdempotentReplay):
            record = exc.record
            return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            return super().handle_exception(exc)
        except BaseException:
            # An uncaught error never reaches finalize_response, where the key would be released.
            idempotency.release(getattr(self.request, "idempotency_record", None))
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        idempotency.finish(getattr(request, "idempotency_record", None), response)
        return response


class SchoolApiView(ApiView):
    """An endpoint under /api/v1/schools/<school_slug>/. `read_perm` guards reads, `write_perm`
    guards writes; a member lacking it gets 403."""

    read_perm = "students.view"
    write_perm = None

    def check_tenant(self, request, **kwargs):
        membership = tenancy.resolve_school(request, kwargs["school_slug"])
        self.school = membership.school
        self.membership = membership
        perm = self.read_perm if request.method in READ_METHODS else self.write_perm
        if perm and not membership.has_perm(perm):
            raise PermissionDenied(f"Your role does not allow this ({perm}).")
        if not self.school.is_active and request.method not in READ_METHODS:
            raise PermissionDenied("This school is suspended.")
