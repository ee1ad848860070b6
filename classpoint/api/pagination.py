from rest_framework.pagination import PageNumberPagination

from classpoint.bounds import MAX_BIGINT


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        # What the paginator accepts: a page past the last (or past any number) is a 404, a larger
        # page size is cut to the maximum. Said in the schema so that every integer input is bounded.
        limits = {self.page_query_param: (1, MAX_BIGINT), self.page_size_query_param: (1, self.max_page_size)}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in limits:
                low, high = limits[parameter["name"]]
                parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters


def with_known_count(count):
    """A Django paginator class for a list whose length the view already knows (from an aggregate it
    needs anyway), so paging does not run a second COUNT over the same rows."""
    from django.core.paginator import Paginator
    from django.utils.functional import cached_property

    class CountedPaginator(Paginator):
        @cached_property
        def count(self):
            return count

    return CountedPaginator
